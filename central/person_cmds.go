package central

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"usher/centralstore"
	"usher/checkin"
)

// personCmd: usher-central person add … | person revoke ID
func personCmd(args []string, stdout, stderr io.Writer) error {
	usage := errors.New("usage: usher-central person add --id ID --name NAME --category C --code CODE " +
		"[--company C] [--email E] [--tags a;b] [--db D]\n       usher-central person revoke ID [--db D]")
	if len(args) == 0 {
		return usage
	}
	switch args[0] {
	case "add":
		return personAddCmd(args[1:], stdout, stderr)
	case "revoke":
		return personRevokeCmd(args[1:], stdout, stderr)
	}
	return usage
}

// personAddCmd: usher-central person add --id ID --name N --category C
// --code CODE [--company C] [--email E] [--tags a;b] [--db D]
func personAddCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-central person add", flag.ContinueOnError)
	dsn := dbFlag(fs)
	var p checkin.Person
	fs.StringVar(&p.ID, "id", "", "the person's roster `id`")
	fs.StringVar(&p.Name, "name", "", "the person's `name`")
	fs.StringVar(&p.Category, "category", "", "the person's `category` (an id or alias from the event file)")
	fs.StringVar(&p.Code, "code", "", "the badge `code` printed on their badge")
	fs.StringVar(&p.Company, "company", "", "`company`")
	fs.StringVar(&p.Email, "email", "", "`email`")
	tags := fs.String("tags", "", "`tags`, separated by ;")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 || p.ID == "" || p.Name == "" || p.Category == "" || p.Code == "" {
		return errors.New("usage: usher-central person add --id ID --name NAME --category C --code CODE [--company C] [--email E] [--tags a;b] [--db D]")
	}
	for _, t := range strings.Split(*tags, ";") {
		if t = strings.TrimSpace(t); t != "" {
			p.Tags = append(p.Tags, t)
		}
	}
	db, err := centralstore.Open(*dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.AddPerson(context.Background(), p); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %s (%s): kiosks admit code %s after their next pull\n", strings.TrimSpace(p.ID), strings.TrimSpace(p.Name), strings.TrimSpace(p.Code))
	fmt.Fprintf(stderr, "Add %s to the roster CSV too: a re-import of a roster without them removes them again.\n", strings.TrimSpace(p.ID))
	return nil
}

// personRevokeCmd: usher-central person revoke ID [--db D]; the id may
// stand before or after the flags.
func personRevokeCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-central person revoke", flag.ContinueOnError)
	dsn := dbFlag(fs)
	ids, err := parseWithArgs(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(ids) != 1 {
		return errors.New("usage: usher-central person revoke ID [--db D]")
	}
	db, err := centralstore.Open(*dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.RevokePerson(context.Background(), ids[0]); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s removed from the roster: kiosks deny their badges after their next pull\n", ids[0])
	fmt.Fprintf(stderr, "Remove %s from the roster CSV too: a re-import of a roster with them adds them again.\n", ids[0])
	return nil
}

// badgeCmd: usher-central badge reprint ID [--code NEWCODE] [--db D]; the
// id may stand before or after the flags.
func badgeCmd(args []string, stdout, stderr io.Writer) error {
	usage := errors.New("usage: usher-central badge reprint ID [--code NEWCODE] [--db D]")
	if len(args) == 0 || args[0] != "reprint" {
		return usage
	}
	fs := flag.NewFlagSet("usher-central badge reprint", flag.ContinueOnError)
	dsn := dbFlag(fs)
	code := fs.String("code", "", "a new roster `code` for the person (default: keep it; only the serial rises)")
	ids, err := parseWithArgs(fs, args[1:], stderr)
	if err != nil {
		return err
	}
	if len(ids) != 1 {
		return usage
	}
	id := ids[0]
	db, err := centralstore.Open(*dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	serial, err := db.ReprintBadge(context.Background(), id, *code)
	if err != nil {
		return err
	}
	newCode := ""
	if c := strings.TrimSpace(*code); c != "" {
		newCode = ", code " + c
	}
	fmt.Fprintf(stdout, "%s: new badge serial %d%s; kiosks deny the old badge after their next pull\n", id, serial, newCode)
	fmt.Fprintf(stdout, "print the new badge with: usher-central badges --person %s --event E --roster R --key K --out F.pdf\n", id)
	fmt.Fprintf(stdout, "(first set %s's serial to %d%s in the roster CSV: badges reads it, and a re-import of the old CSV undoes this reprint)\n",
		id, serial, strings.Replace(newCode, ", code", " and code to", 1))
	return nil
}
