// Package locale mends, before Fyne reads it, a locale setting that Fyne
// cannot parse: "C.UTF-8", Debian's and most containers' default, has
// the language "C", and Fyne's translations then log "Fyne error: Error
// parsing user locale C" on stderr when their package initialises, in
// every command of a program that links Fyne. It is its own module,
// "early", because Go initialises packages in the order of their import
// paths: "early/locale" comes before "fyne.io/…", every "usher/…"
// package after. The kiosk binary imports it for its side effect.
package locale

import (
	"os"
	"strings"
)

func init() { Mend() }

// Mend names the language for Fyne in LANGUAGE, when that is unset and
// the locale in effect (LC_ALL, else LC_MESSAGES, else LANG) is one Fyne
// cannot parse: C or POSIX with a codeset ("C.UTF-8") is English, and a
// locale with a modifier ("sr_RS@latin") is its language and region
// ("sr_RS"). The locale itself, and so the character set, stays as it
// is; only the language Fyne picks its messages in is named.
func Mend() {
	if os.Getenv("LANGUAGE") != "" {
		return
	}
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		loc := os.Getenv(name)
		if loc == "" {
			continue
		}
		lang, _, _ := strings.Cut(loc, "@")
		lang, _, _ = strings.Cut(lang, ".")
		switch {
		case lang == loc:
		case lang == "C" || lang == "POSIX":
			os.Setenv("LANGUAGE", "en")
		case strings.Contains(loc, "@"):
			os.Setenv("LANGUAGE", lang)
		}
		return
	}
}
