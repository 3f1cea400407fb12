package integration_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"usher/central"
	"usher/checkin"
	"usher/sync/wire"
)

// TestAuth checks that the API gives nothing without a valid kiosk
// token: no token, a malformed or wrong one, an enrollment token, and the
// token of a kiosk revoked at the center all get 401 with a wire.Error
// body and no data, and store nothing; the same requests with a good
// token succeed. A revoked kiosk is refused on its next request and its
// sync loop says it was revoked.
func TestAuth(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		c := MustCenter(t, dsn, 30)
		srv := MustServe(t, c.db, "127.0.0.1:0")
		hc := newClient(t, nil)
		good := MustEnroll(t, c.MustCode(t, srv.url, "main"), hc)
		lost := MustEnroll(t, c.MustCode(t, srv.url, "east"), hc)
		goodID, lostID := MustID(t, good), MustID(t, lost)

		// The lost kiosk worked until it was revoked.
		MustScan(t, lost, c.people[0].Code, "east", checkin.Entry)
		lostSync := newSyncer(lost, hc)
		MustRound(t, "the kiosk before it was lost", lostSync)
		if err := c.db.RevokeKiosk(ctx, lostID.KioskID); err != nil {
			t.Fatal(err)
		}
		MustScan(t, lost, c.people[1].Code, "east", checkin.Entry)
		MustScan(t, lost, c.people[2].Code, "east", checkin.Entry)

		unused, err := c.db.CreateEnrollment(ctx, "main")
		if err != nil {
			t.Fatal(err)
		}
		used, err := c.db.CreateEnrollment(ctx, "main")
		if err != nil {
			t.Fatal(err)
		}
		MustEnrollByHand(t, hc, srv.url, used)

		// The good kiosk's log so far (the grant of its first rights)
		// goes up, so that what waits is the one scan.
		MustRound(t, "the good kiosk before its scan", newSyncer(good, hc))
		MustScan(t, good, c.people[3].Code, "main", checkin.Entry)
		events, err := good.Pending(ctx, 100)
		if err != nil || len(events) != 1 {
			t.Fatalf("the good kiosk's pending events: %v, %v", events, err)
		}
		pushCall := func(auth string) apiCall {
			return apiCall{method: http.MethodPost, url: srv.url + wire.PathPush, auth: auth,
				body: wire.PushRequest{Events: events}, gzip: true}
		}
		pullCall := func(auth string) apiCall {
			return apiCall{method: http.MethodGet, url: srv.url + wire.PathPull + "?cursor=0", auth: auth}
		}
		refused := []struct{ name, auth string }{
			{"NoToken", ""},
			{"EmptyBearer", "Bearer "},
			{"NotBearer", "Basic " + goodID.Token},
			{"BareToken", goodID.Token},
			{"WrongToken", "Bearer " + strings.Repeat("A", len(goodID.Token))},
			{"TokenWithTail", "Bearer " + goodID.Token + "x"},
			{"KioskIDAsToken", "Bearer " + goodID.KioskID},
			{"UnusedEnrollmentToken", "Bearer " + unused},
			{"UsedEnrollmentToken", "Bearer " + used},
			{"RevokedKiosk", "Bearer " + lostID.Token},
		}
		before := len(MustCentralEvents(t, dsn))
		for _, r := range refused {
			t.Run(r.name, func(t *testing.T) {
				for name, call := range map[string]apiCall{"push": pushCall(r.auth), "pull": pullCall(r.auth)} {
					status, body := call.do(t, hc)
					checkRefused(t, name, status, body, c)
				}
			})
		}
		if got := len(MustCentralEvents(t, dsn)); got != before {
			t.Errorf("refused pushes changed the center: %d events, %d before", got, before)
		}

		// The same requests with the good kiosk's token go through.
		if status, body := pushCall("Bearer "+goodID.Token).do(t, hc); status != http.StatusOK {
			t.Errorf("push with a good token: %d %s", status, body)
		}
		status, body := pullCall("Bearer "+goodID.Token).do(t, hc)
		var page wire.PullResponse
		if status != http.StatusOK || json.Unmarshal(body, &page) != nil || len(page.People) != len(c.people) {
			t.Errorf("pull with a good token: %d, %d people, want 200 and %d people", status, len(page.People), len(c.people))
		}
		if got := len(MustCentralEvents(t, dsn)); got != before+1 {
			t.Errorf("a push with a good token: %d events, want %d", got, before+1)
		}

		// Enrollment with a spent code: 401, and no identity.
		status, body = apiCall{method: http.MethodPost, url: srv.url + wire.PathEnroll,
			body: wire.EnrollRequest{Token: used}}.do(t, hc)
		checkRefused(t, "enroll with a used code", status, body, c)

		// The revoked kiosk's own loop: refused, and says so.
		wantCode(t, "the revoked kiosk's sync", lostSync.Sync(ctx), checkin.EUNAUTHORIZED)
		st := lostSync.Status()
		if !st.Revoked || st.Online || st.Waiting != 2 {
			t.Errorf("the revoked kiosk's status %+v, want revoked with 2 scans waiting", st)
		}
		if got, want := st.String(), "this kiosk was revoked — 2 scans waiting"; got != want {
			t.Errorf("the revoked kiosk's connection line %q, want %q", got, want)
		}
		held := byKiosk(MustCentralEvents(t, dsn))
		for _, k := range c.MustStatus(t).Kiosks {
			if k.Events != int64(len(held[k.ID])) {
				t.Errorf("the center's view of kiosk %s: %+v, but it holds %d events of it", k.ID, k, len(held[k.ID]))
			}
			switch scans := countScans(held[k.ID]); k.ID {
			case lostID.KioskID:
				if !k.Revoked || scans != 1 {
					t.Errorf("the center's view of the revoked kiosk: %+v with %d scans, want revoked with its 1 scan from before", k, scans)
				}
			case goodID.KioskID:
				if k.Revoked || scans != 1 {
					t.Errorf("the center's view of the good kiosk: %+v with %d scans, want 1 scan", k, scans)
				}
			}
		}
	})
}

// checkRefused checks a refusal: 401, a JSON wire.Error with code
// unauthorized and a message, and nothing else: no field of an answer,
// no roster data.
func checkRefused(tb testing.TB, what string, status int, body []byte, c *center) {
	tb.Helper()
	if status != http.StatusUnauthorized {
		tb.Errorf("%s: status %d, want 401; body %s", what, status, body)
		return
	}
	var e wire.Error
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || dec.More() {
		tb.Errorf("%s: body %q is not a lone wire.Error: %v", what, body, err)
	}
	if e.Code != checkin.EUNAUTHORIZED || e.Message == "" {
		tb.Errorf("%s: error %+v, want code %q and a message", what, e, checkin.EUNAUTHORIZED)
	}
	for _, p := range c.people[:5] {
		if bytes.Contains(body, []byte(p.Code)) || bytes.Contains(body, []byte(p.Email)) {
			tb.Errorf("%s: the refusal %s shows roster data of %s", what, body, p.ID)
		}
	}
	for _, leak := range []string{"kiosk_id", "token", "cursor", "people", "accepted"} {
		if bytes.Contains(body, []byte(fmt.Sprintf("%q", leak))) {
			tb.Errorf("%s: the refusal %s has a field %q", what, body, leak)
		}
	}
}

// TestKioskRevokeCommand revokes a kiosk the way the usage line says,
// `usher-central kiosk revoke KIOSK [--db D]`, and checks that the kiosk
// is refused on its next request.
func TestKioskRevokeCommand(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		c := MustCenter(t, dsn, 10)
		srv := MustServe(t, c.db, "127.0.0.1:0")
		hc := newClient(t, nil)
		k := MustEnroll(t, c.MustCode(t, srv.url, "main"), hc)
		s := newSyncer(k, hc)
		MustRound(t, "before the revocation", s)
		var stdout, stderr bytes.Buffer
		args := []string{"kiosk", "revoke", MustID(t, k).KioskID, "--db", dsn}
		if code := central.Run(args, &stdout, &stderr); code != 0 {
			t.Errorf("usher-central %s: exit %d: %s", strings.Join(args, " "), code, strings.TrimSpace(stderr.String()))
		}
		wantCode(t, "the kiosk's next sync", s.Sync(context.Background()), checkin.EUNAUTHORIZED)
	})
}
