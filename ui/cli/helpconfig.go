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
user's and the system's file). Each key outside [[tools]] can also be set by
its WORKSHOP_LOGIN_ variable, which wins over the files.
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
