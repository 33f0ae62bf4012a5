package auth

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseUserInfoIOE(t *testing.T) {
	id, err := ParseUserInfo([]byte(ioeUserInfo))
	if err != nil {
		t.Fatal(err)
	}
	want := Identity{
		Sub:  "e2x0a6mp-37l0-42ps-94ef-u69755438d3o",
		Role: RoleIOE,
		CABUID: CABUID{Raw: "EXA/NL/1234/1EXA2MP34LE5", Prefix: "EXA", Country: "NL", Number: "1234",
			Code: "1EXA2MP34LE5"},
		IOUID: OrgUID{Raw: "GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01", Name: "GARAGE JANSEN",
			Address: "WALDORPSTRAAT13FTHEHAGUE2521CA", TaxID: "NL123456789B01", TaxIDIsVAT: true},
		IOEUID: PersonUID{Raw: "NL/EXAMPLECAB/1234567890B", Country: "NL", CABName: "EXAMPLECAB",
			AuthorisationUID: "1234567890B"},
	}
	if got, _ := json.Marshal(id); string(got) != string(mustJSON(t, want)) {
		t.Errorf("identity\n got %s\nwant %s", got, mustJSON(t, want))
	}
	if id.AuthorisationUID() != "1234567890B" {
		t.Errorf("AuthorisationUID = %q", id.AuthorisationUID())
	}
}

func TestParseUserInfoRSSE(t *testing.T) {
	body := `{"sub":"e6x3a4mp-49l2-66ps-94ef-u39455005d8o","cabuid":"EXA/NL/1234/1EXA2MP34LE5",
		"iouid":"EXAMPLEIO/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01","ioeuid":"NL/EXAMPLECAB/1234567890B",
		"rssuid":"EXAMPLERSS/WALDORPSTRAAT13FTHEHAGUE2521CA/NL987654321B02","rsseuid":"NL/EXAMPLECAB/9876543210D"}`
	id, err := ParseUserInfo([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if id.Role != RoleRSSE || id.RSSUID.Name != "EXAMPLERSS" || id.RSSEUID.AuthorisationUID != "9876543210D" {
		t.Errorf("identity = %+v", id)
	}
	// The person at the keyboard is the RSSE, acting for the IOE's garage.
	if id.AuthorisationUID() != "9876543210D" || id.IOUID.Name != "EXAMPLEIO" {
		t.Errorf("authorisation UID %q, garage %q", id.AuthorisationUID(), id.IOUID.Name)
	}
}

func TestParseUserInfoToleratesTaxIDOutsideVATFormat(t *testing.T) {
	body := strings.Replace(ioeUserInfo, "NL123456789B01", "HRB-PRIVATE-0815", 1)
	id, err := ParseUserInfo([]byte(body))
	if err != nil {
		t.Fatalf("a tax id outside VAT format must not be refused: %v", err)
	}
	if id.IOUID.TaxID != "HRB-PRIVATE-0815" || id.IOUID.TaxIDIsVAT {
		t.Errorf("iouid = %+v", id.IOUID)
	}
}

func TestParseUserInfoAddressWithSlash(t *testing.T) {
	body := strings.Replace(ioeUserInfo, "WALDORPSTRAAT13FTHEHAGUE", "WALDORPSTRAAT13/A THEHAGUE", 1)
	id, err := ParseUserInfo([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if id.IOUID.Address != "WALDORPSTRAAT13/A THEHAGUE2521CA" || id.IOUID.TaxID != "NL123456789B01" {
		t.Errorf("iouid = %+v", id.IOUID)
	}
}

func TestParseUserInfoRefuses(t *testing.T) {
	tests := []struct {
		name, body string
		key        MessageKey
		detail     string
	}{
		{"not JSON", `<html>`, MsgUnexpected, "not a JSON object"},
		{"no sermi attributes", `{"sub":"x"}`, MsgIdentityMissing, "cabuid, iouid, ioeuid"},
		{"no sub", strings.Replace(ioeUserInfo, `"sub":"e2x0a6mp-37l0-42ps-94ef-u69755438d3o",`, "", 1), MsgIdentityMissing, "lacks sub"},
		{"only rssuid", strings.Replace(ioeUserInfo, "}", `,"rssuid":"RSS/ADDR/NL987654321B02"}`, 1), MsgIdentityMissing, "only one of rssuid and rsseuid"},
		{"only rsseuid", strings.Replace(ioeUserInfo, "}", `,"rsseuid":"NL/CAB/9876543210D"}`, 1), MsgIdentityMissing, "only one of rssuid and rsseuid"},
		{"number instead of string", strings.Replace(ioeUserInfo, `"EXA/NL/1234/1EXA2MP34LE5"`, `42`, 1), MsgIdentityInvalid, "not a string"},
		{"cabuid short", strings.Replace(ioeUserInfo, "1EXA2MP34LE5", "1EXA", 1), MsgIdentityInvalid, "12 letters and digits"},
		{"cabuid country", strings.Replace(ioeUserInfo, "EXA/NL/", "EXA/nl/", 1), MsgIdentityInvalid, "country"},
		{"iouid two parts", strings.Replace(ioeUserInfo, "GARAGE JANSEN/", "", 1), MsgIdentityInvalid, "name/address/tax id"},
		{"ioeuid empty UID", strings.Replace(ioeUserInfo, "1234567890B", "", 1), MsgIdentityInvalid, "authorisation UID is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseUserInfo([]byte(tt.body))
			if err == nil {
				t.Fatal("accepted")
			}
			if KeyOf(err) != tt.key || !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("error %q (key %s), want key %s mentioning %q", err, KeyOf(err), tt.key, tt.detail)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Fields is the one flattening of an identity: named and ordered as the
// portal's form has them, and from its claims alone the same identity
// parses again (the keyring keeps only those).
func TestIdentityFields(t *testing.T) {
	const chain = `,"rssuid":"EXAMPLERSS/WALDORPSTRAAT13FTHEHAGUE2521CA/NL987654321B02","rsseuid":"NL/EXAMPLECAB/9876543210D"}`
	for _, c := range []struct {
		body string
		want []Field
	}{
		{ioeUserInfo, []Field{
			{"sub", "e2x0a6mp-37l0-42ps-94ef-u69755438d3o", true}, {"role", "IOE", false},
			{"cabuid", "EXA/NL/1234/1EXA2MP34LE5", true},
			{"iouid", "GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01", true},
			{"ioeuid", "NL/EXAMPLECAB/1234567890B", true}, {"authorisation_uid", "1234567890B", false},
		}},
		{strings.TrimSuffix(strings.TrimSpace(ioeUserInfo), "}") + chain, []Field{
			{"sub", "e2x0a6mp-37l0-42ps-94ef-u69755438d3o", true}, {"role", "RSSE", false},
			{"cabuid", "EXA/NL/1234/1EXA2MP34LE5", true},
			{"iouid", "GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01", true},
			{"ioeuid", "NL/EXAMPLECAB/1234567890B", true}, {"authorisation_uid", "9876543210D", false},
			{"rssuid", "EXAMPLERSS/WALDORPSTRAAT13FTHEHAGUE2521CA/NL987654321B02", true},
			{"rsseuid", "NL/EXAMPLECAB/9876543210D", true},
		}},
	} {
		id, err := ParseUserInfo([]byte(c.body))
		if err != nil {
			t.Fatal(err)
		}
		got := id.Fields()
		if string(mustJSON(t, got)) != string(mustJSON(t, c.want)) {
			t.Errorf("Fields\n got %+v\nwant %+v", got, c.want)
		}
		claims := map[string]string{}
		for _, f := range got {
			if f.Claim {
				claims[f.Name] = f.Value
			}
		}
		again, err := ParseUserInfo(mustJSON(t, claims))
		if err != nil || string(mustJSON(t, again)) != string(mustJSON(t, id)) {
			t.Errorf("parsed from its claims: %+v, %v", again, err)
		}
	}
}
