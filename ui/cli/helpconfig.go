package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/workshop-login/workshop-login/platform/config"
)

// helpRun is `workshop-login help [config]`: the usage, or with config the
// reference of every configuration key, made from the schema
// (platform/config) so that it cannot drift from what the program reads.
// Anything else after help shows the usage, as help alone always has.
func helpRun(f *Factory, args []string) int {
	if len(args) > 0 && args[0] == "config" {
		writeConfigReference(f.Out)
		return 0
	}
	fmt.Fprint(f.Out, usageText)
	return 0
}

// writeConfigReference writes the keys section by section, as a file
// spells them: each key with its type and variable, its line, its default.
func writeConfigReference(w io.Writer) {
	fmt.Fprint(w, `Configuration keys of workshop-login's TOML file (--config FILE, else the
user's and the system's file). Each key outside [[tools]] and
[[manufacturers]] can also be set by its WORKSHOP_LOGIN_ variable, which wins
over the files; $WORKSHOP_LOGIN_TOOLS and $WORKSHOP_LOGIN_MANUFACTURERS give a
whole list in TOML's inline form, [{name = "A", url = "https://…"}], which
replaces the files' list.
`)
	heading := "-"
	for _, d := range config.Reference() {
		section, name, ok := strings.Cut(d.Key, ".")
		if !ok {
			section, name = "", d.Key
		}
		if section != heading {
			heading = section
			switch section {
			case "":
				fmt.Fprintln(w, "\n(top level)")
			case "tools":
				fmt.Fprintln(w, "\n[[tools]]  (one entry per tool)")
			case "manufacturers":
				fmt.Fprintln(w, "\n[[manufacturers]]  (one entry per vehicle manufacturer; none: [trust_centre] or [relay] is the one)")
			default:
				fmt.Fprintf(w, "\n[%s]\n", section)
			}
		}
		variable := ""
		if d.Variable != "" {
			variable = ", $" + d.Variable
		}
		fmt.Fprintf(w, "  %s  (%s%s)\n      %s\n      default: %s\n", name, d.Type, variable, d.Doc, d.Default)
	}
}
