package roster_test

import (
	"reflect"
	"strings"
	"testing"

	"usher/badge"
	"usher/checkin"
	"usher/roster"
)

// revocationCase is a revocation list and what ReadRevocations makes of
// it: the revocations, or an error whose message says each of errs.
type revocationCase struct {
	name string
	data string
	want []checkin.Revocation
	errs []string
}

// revocationCases feed TestReadRevocations and seed FuzzReadRevocations.
var revocationCases = []revocationCase{
	{"Serials", "id,serial\nP000001,1\nP000002,3\n",
		[]checkin.Revocation{{PersonID: "P000001", Serial: 1}, {PersonID: "P000002", Serial: 3}}, nil},
	{"Person", "id,serial\nP1,*\nP2,all\nP3, ALL \nP4,2\n",
		[]checkin.Revocation{{PersonID: "P1", Serial: badge.AllSerials}, {PersonID: "P2", Serial: badge.AllSerials},
			{PersonID: "P3", Serial: badge.AllSerials}, {PersonID: "P4", Serial: 2}}, nil},
	{"HeaderCaseAndCRLF", "ID , Serial\r\n\r\nP1,2\r\n", []checkin.Revocation{{PersonID: "P1", Serial: 2}}, nil},
	{"OtherColumns", "\ufeffserial,id,note\n2,P1,lost at the bar\n*,P2,refunded\n",
		[]checkin.Revocation{{PersonID: "P1", Serial: 2}, {PersonID: "P2", Serial: badge.AllSerials}}, nil},
	{"NoLines", "id,serial\n", []checkin.Revocation{}, nil},
	{"ErrSerialZero", "id,serial\nP1,2\nP2,0\n", nil, []string{":3, column 2 (serial)", "serial 0", "revoke nothing", "*"}},
	{"ErrSerialEmpty", "id,serial\nP1,\n", nil, []string{":2, column 2 (serial)", "empty", "*"}},
	{"ErrSerialBlank", "id,serial\nP1,  \n", nil, []string{":2, column 2 (serial)", "empty"}},
	{"ErrSerialEveryAsNumber", "id,serial\nP1,4294967295\n", nil, []string{":2, column 2 (serial)", "write *"}},
	{"ErrSerialWord", "id,serial\nP1,every\n", nil, []string{":2, column 2 (serial)", `"every"`, "*"}},
	{"ErrNoSerialColumn", "id\nP1\n", nil, []string{":1", "id,serial", "*"}},
	{"ErrShortLine", "id,serial\nP1\n", nil, []string{":2", "1 fields"}},
	{"ErrNoID", "id,serial\n,1\n", nil, []string{":2, column 1 (id)"}},
	{"ErrNegative", "id,serial\nP1,-1\n", nil, []string{":2, column 2 (serial)"}},
	{"ErrTooBig", "id,serial\nP1,4294967296\n", nil, []string{":2, column 2 (serial)"}},
	{"ErrUnclosedQuote", "id,serial\nP1,\"2\n", nil, []string{":2"}},
	{"ErrBareQuote", "id,serial\n\"P\"1,2\n", nil, []string{":2"}},
	{"ErrControlInID", "id,serial\nP\x001,2\n", nil, []string{":2, column 1 (id)"}},
	{"ErrEmpty", "", nil, []string{"empty", "id,serial"}},
}

func TestReadRevocations(t *testing.T) {
	for _, c := range revocationCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := roster.ReadRevocations(strings.NewReader(c.data), fileName)
			if c.errs == nil {
				if err != nil || !reflect.DeepEqual(got, c.want) {
					t.Errorf("ReadRevocations = %+v, %v; want %+v", got, err, c.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ReadRevocations = %+v, want an error", got)
			}
			checkProblems(t, err)
			msg := checkin.ErrorMessage(err)
			for _, s := range append(c.errs, fileName) {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not say %q", msg, s)
				}
			}
		})
	}
}
