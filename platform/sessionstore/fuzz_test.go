package sessionstore

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// The fuzz targets run their seed corpora (testdata/fuzz and the f.Add seeds)
// as regression tests in every `go test`; `make fuzz` explores further.

// FuzzDecodeSession reads a keyring record of any content: one another
// program wrote, an older version's, or one cut short.
func FuzzDecodeSession(f *testing.F) {
	f.Add(`{"v":1,"c":{"sub":"e2x0a6mp-37l0-42ps-94ef-u69755438d3o","cabuid":"EXA/NL/1234/1EXA2MP34LE5","iouid":"GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01","ioeuid":"NL/EXAMPLECAB/1234567890B"},"a":"at-0123456789","r":"rt-1","s":"s openid sermi","i":1795510800,"e":1795514400}`)
	f.Add(`{"v":1,"c":{"sub":"e6x3a4mp-49l2-66ps-94ef-u39455005d8o","cabuid":"EXA/NL/1234/1EXA2MP34LE5","iouid":"GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01","ioeuid":"NL/EXAMPLECAB/1234567890B","rssuid":"REMOTE DIAG SERVICES/HOOFDWEG1AMSTERDAM1011AA/NL987654321B02","rsseuid":"NL/EXAMPLECAB/9876543210D"},"a":"at-0123456789","i":1795510800,"e":0}`)
	f.Add(`{"v":1,"c":{"sub":"s","cabuid":"A/B/1/C","iouid":"N/A/T","ioeuid":"NL/C/1"},"a":"at","i":0,"e":0}`)
	f.Add(`{"v":1,"c":{"sub":"s","cabuid":"A/B/1/C","iouid":"N/A/T","ioeuid":"NL/C/1","rssuid":"R/S/T"},"a":"at","i":-1,"e":-1}`)
	f.Add(`{"v":2,"c":{},"a":"at"}`)
	f.Add(`{"v":1,"c":null,"a":"secret-access-token"}`)
	f.Add(`{"v":1,"c":{"sub":"secret-access-token"},"a":"secret-access-token"}`)
	f.Add(`{"v":1,"c":{"sub":"s","cabuid":"A/B/1/C","iouid":"N/A/T","ioeuid":"NL/C/1"},"a":"at","i":9223372036854775807,"e":-9223372036854775808}`)
	f.Add(`chunks:3`)
	f.Add(`{"v":1,"c":{"sub":"s","cabuid":"A/B/1/C","iouid":"N/A/T","ioeuid":"NL/C/1"},"a":"at","i":0,"e":0,"m":"Demo manufacturer A","more":[{"v":1,"c":{"sub":"t","cabuid":"A/B/1/C","iouid":"N/A/T","ioeuid":"NL/C/1"},"a":"at2","i":0,"e":0,"m":"Demo manufacturer B"}]}`)
	f.Add(`{"v":1,"c":{"sub":"s","cabuid":"A/B/1/C","iouid":"N/A/T","ioeuid":"NL/C/1"},"a":"at","i":0,"e":0,"more":[{"v":1,"c":{},"more":[]}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		sessions, err := decode(doc)
		if err != nil {
			if sessions != nil {
				t.Fatal("a session and an error")
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("error is not one line: %q", msg)
			}
			if access := accessOf(doc); len(access) >= 8 && strings.Contains(msg, access) {
				t.Fatalf("error quotes the access token: %q", msg)
			}
			return
		}
		for _, s := range sessions {
			if id := s.Identity; id.Sub == "" || id.CABUID.Raw == "" || id.IOUID.Raw == "" || id.IOEUID.Raw == "" {
				t.Fatalf("incomplete identity restored: %+v", id)
			}
		}
		// What is restored is kept again as the same sessions.
		again, err := encode(sessions)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decode(string(again))
		if err != nil {
			t.Fatalf("restored session %s cannot be read again: %v", again, err)
		}
		if !reflect.DeepEqual(back, sessions) {
			t.Fatalf("sessions %+v\nkept again and read back as %+v", sessions, back)
		}
	})
}

// accessOf is the access token a record carries, if it is a JSON object
// that has one.
func accessOf(doc string) string {
	var st stored
	if err := json.Unmarshal([]byte(doc), &st); err != nil {
		return ""
	}
	return st.Access
}
