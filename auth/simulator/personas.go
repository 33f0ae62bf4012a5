package simulator

// Persona is a test person a tester can sign in as on the simulator's page.
// A simulator keeps no secrets: the page shows every persona's PIN.
type Persona struct {
	ID     string
	Label  string
	PIN    string
	Claims map[string]string // the user-info attributes
	// Revoked personas are refused by the Trust Centre after their PIN.
	Revoked bool
	// ChainAuthorisation personas are RSSEs whose one-time authorisation is
	// used up by their first successful sign-in.
	ChainAuthorisation bool
}

const garageJansen = "GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01"

var personas = []Persona{
	{
		ID: "ioe", Label: "Technician (IOE), Garage Jansen", PIN: "1234",
		Claims: map[string]string{
			"sub":    "e2x0a6mp-37l0-42ps-94ef-u69755438d3o",
			"cabuid": "EXA/NL/1234/1EXA2MP34LE5",
			"iouid":  garageJansen,
			"ioeuid": "NL/EXAMPLECAB/1234567890B",
		},
	},
	{
		ID: "rsse", Label: "Remote specialist (RSSE), chain authorisation from Garage Jansen, works once", PIN: "2345",
		ChainAuthorisation: true,
		Claims: map[string]string{
			"sub":     "e6x3a4mp-49l2-66ps-94ef-u39455005d8o",
			"cabuid":  "EXA/NL/1234/1EXA2MP34LE5",
			"iouid":   garageJansen,
			"ioeuid":  "NL/EXAMPLECAB/1234567890B",
			"rssuid":  "REMOTE DIAG SERVICES/HOOFDWEG1AMSTERDAM1011AA/NL987654321B02",
			"rsseuid": "NL/EXAMPLECAB/9876543210D",
		},
	},
	{
		ID: "ioe-non-vat", Label: "Technician whose garage's tax id is outside VAT format", PIN: "3456",
		Claims: map[string]string{
			"sub":    "a1b2c3d4-0000-4000-8000-000000000003",
			"cabuid": "TUV/DE/0042/AB12CD34EF56",
			"iouid":  "KFZ MEIER/HAUPTSTRASSE5MUENCHEN80331/HRB-PRIVATE-0815",
			"ioeuid": "DE/TUEV EXAMPLE CAB/5550001112X",
		},
	},
	{
		ID: "revoked", Label: "Technician whose SERMI authorisation is revoked (refused)", PIN: "4567",
		Revoked: true,
		Claims: map[string]string{
			"sub":    "a1b2c3d4-0000-4000-8000-000000000004",
			"cabuid": "EXA/FR/0007/ZZ99YY88XX77",
			"iouid":  "GARAGE DUPONT/1RUEDELAPAIXPARIS75002/FR40303265045",
			"ioeuid": "FR/EXAMPLECAB/7770001234R",
		},
	},
}

// Personas returns the test persons, in the order the page lists them, with
// the PINs this simulator wants (see Options.FiveDigitPINs).
func (s *Simulator) Personas() []Persona {
	out := make([]Persona, len(personas))
	for i, p := range personas {
		out[i] = s.withPIN(p)
	}
	return out
}

func (s *Simulator) findPersona(id string) (Persona, bool) {
	for _, p := range personas {
		if p.ID == id {
			return s.withPIN(p), true
		}
	}
	return Persona{}, false
}

// withPIN gives p a 5-digit PIN when the options ask for one: its 4 digits
// followed by the digit after the last ("1234" becomes "12345").
func (s *Simulator) withPIN(p Persona) Persona {
	if s.opts.FiveDigitPINs && p.PIN != "" {
		last := p.PIN[len(p.PIN)-1]
		p.PIN += string(rune('0' + (last-'0'+1)%10))
	}
	return p
}
