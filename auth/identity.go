package auth

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Role says in what capacity a person signed in.
type Role string

const (
	// RoleIOE is an independent operator's employee: a garage's technician.
	RoleIOE Role = "IOE"
	// RoleRSSE is a remote services supplier's employee working for a garage
	// once, on a chain authorisation the garage's technician granted.
	RoleRSSE Role = "RSSE"
)

// Identity is who signed in, as SERMI UIDs from the Trust Centre's user info.
// It holds no personal data beyond what the UIDs carry, and no token.
type Identity struct {
	Sub    string    `json:"sub"`
	Role   Role      `json:"role"`
	CABUID CABUID    `json:"cabuid"`
	IOUID  OrgUID    `json:"iouid"`
	IOEUID PersonUID `json:"ioeuid"`
	// RSSUID and RSSEUID are set for a chain authorisation (RoleRSSE) only.
	RSSUID  *OrgUID    `json:"rssuid,omitempty"`
	RSSEUID *PersonUID `json:"rsseuid,omitempty"`
}

// CABUID identifies the conformity assessment body that authorised the garage:
// "EXA/NL/1234/1EXA2MP34LE5".
type CABUID struct {
	Raw     string `json:"raw"`
	Prefix  string `json:"prefix"`  // first three characters of the CAB's name
	Country string `json:"country"` // ISO 3166-1 alpha-2 where the CAB is approved
	Number  string `json:"number"`  // four digits
	Code    string `json:"code"`    // twelve letters and digits
}

// OrgUID identifies an organisation (IOUID for the garage, RSSUID for the
// remote services supplier): "NAME/ADDRESS/TAXID".
type OrgUID struct {
	Raw     string `json:"raw"`
	Name    string `json:"name"`
	Address string `json:"address"`
	TaxID   string `json:"tax_id"`
	// TaxIDIsVAT is false when the tax id is another regional id, which
	// SERMI allows where a VAT number would hold personal data.
	TaxIDIsVAT bool `json:"tax_id_is_vat"`
}

// PersonUID identifies a person's authorisation (IOEUID, RSSEUID):
// "NL/EXAMPLECAB/1234567890B". AuthorisationUID never changes for the person;
// the CAB part may change when they are re-authorised, so compare people by
// Sub or AuthorisationUID, never by Raw.
type PersonUID struct {
	Raw              string `json:"raw"`
	Country          string `json:"country"`
	CABName          string `json:"cab_name"`
	AuthorisationUID string `json:"authorisation_uid"`
}

// AuthorisationUID is the UID of the person at the keyboard: the RSSE's for a
// chain authorisation, otherwise the technician's.
func (id Identity) AuthorisationUID() string {
	if id.RSSEUID != nil {
		return id.RSSEUID.AuthorisationUID
	}
	return id.IOEUID.AuthorisationUID
}

// Field is one name–value pair of a flattened Identity, named as the Trust
// Centre's user info and the tools' JSON name it.
type Field struct {
	Name, Value string
	// Claim is set for what the user info itself holds (sub and the raw
	// UIDs): ParseUserInfo reads an identity back from these alone. role and
	// authorisation_uid are worked out from them.
	Claim bool
}

// Fields flattens the identity, once for every place it is handed on (a
// tool's environment and standard input, the repair portal's form, the
// keyring's record), in this order: sub, role, cabuid, iouid, ioeuid,
// authorisation_uid, and for a chain authorisation rssuid and rsseuid. A
// UID the identity does not have is left out rather than given empty.
func (id Identity) Fields() []Field {
	fields := []Field{
		{Name: "sub", Value: id.Sub, Claim: true},
		{Name: "role", Value: string(id.Role)},
		{Name: "cabuid", Value: id.CABUID.Raw, Claim: true},
		{Name: "iouid", Value: id.IOUID.Raw, Claim: true},
		{Name: "ioeuid", Value: id.IOEUID.Raw, Claim: true},
		{Name: "authorisation_uid", Value: id.AuthorisationUID()},
	}
	if id.RSSUID != nil && id.RSSEUID != nil {
		fields = append(fields, Field{Name: "rssuid", Value: id.RSSUID.Raw, Claim: true},
			Field{Name: "rsseuid", Value: id.RSSEUID.Raw, Claim: true})
	}
	return fields
}

var (
	countryCode = regexp.MustCompile(`^[A-Z]{2}$`)
	fourDigits  = regexp.MustCompile(`^[0-9]{4}$`)
	cabCode     = regexp.MustCompile(`^[A-Za-z0-9]{12}$`)
	// An EU VAT number: a two-letter country prefix (EL for Greece, XI for
	// Northern Ireland) and 2 to 13 letters and digits.
	vatNumber = regexp.MustCompile(`^[A-Z]{2}[0-9A-Z+*]{2,13}$`)
)

// ParseUserInfo reads a user-info response body into an Identity. Missing
// required attributes, malformed UIDs, or only one of rssuid and rsseuid are
// errors with MsgIdentityMissing or MsgIdentityInvalid; a tax id outside VAT
// format is not.
func ParseUserInfo(body []byte) (Identity, error) {
	var claims map[string]any
	if err := json.Unmarshal(body, &claims); err != nil {
		return Identity{}, NewError(MsgUnexpected, err, "user info is not a JSON object")
	}
	str := func(name string) (string, error) {
		v, ok := claims[name]
		if !ok || v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", NewError(MsgIdentityInvalid, nil, "user info attribute %q is a %T, not a string", name, v)
		}
		return strings.TrimSpace(s), nil
	}
	values := map[string]string{}
	for _, name := range []string{"sub", "cabuid", "iouid", "ioeuid", "rssuid", "rsseuid"} {
		s, err := str(name)
		if err != nil {
			return Identity{}, err
		}
		values[name] = s
	}
	var missing []string
	for _, name := range []string{"sub", "cabuid", "iouid", "ioeuid"} {
		if values[name] == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return Identity{}, NewError(MsgIdentityMissing, nil,
			"user info lacks %s (is the sermi scope granted to this client?)", strings.Join(missing, ", "))
	}
	if (values["rssuid"] == "") != (values["rsseuid"] == "") {
		return Identity{}, NewError(MsgIdentityMissing, nil,
			"user info has only one of rssuid and rsseuid; a chain authorisation needs both")
	}

	id := Identity{Sub: values["sub"], Role: RoleIOE}
	var err error
	if id.CABUID, err = ParseCABUID(values["cabuid"]); err != nil {
		return Identity{}, err
	}
	if id.IOUID, err = ParseOrgUID("iouid", values["iouid"]); err != nil {
		return Identity{}, err
	}
	if id.IOEUID, err = ParsePersonUID("ioeuid", values["ioeuid"]); err != nil {
		return Identity{}, err
	}
	if values["rssuid"] != "" {
		rss, err := ParseOrgUID("rssuid", values["rssuid"])
		if err != nil {
			return Identity{}, err
		}
		rsse, err := ParsePersonUID("rsseuid", values["rsseuid"])
		if err != nil {
			return Identity{}, err
		}
		id.Role, id.RSSUID, id.RSSEUID = RoleRSSE, &rss, &rsse
	}
	return id, nil
}

// ParseCABUID parses "EXA/NL/1234/1EXA2MP34LE5".
func ParseCABUID(raw string) (CABUID, error) {
	parts := strings.Split(raw, "/")
	bad := func(why string) (CABUID, error) {
		return CABUID{}, NewError(MsgIdentityInvalid, nil, "cabuid %q is malformed: %s", raw, why)
	}
	if len(parts) != 4 {
		return bad(fmt.Sprintf("%d parts, want 4 (prefix/country/number/code)", len(parts)))
	}
	c := CABUID{Raw: raw, Prefix: parts[0], Country: parts[1], Number: parts[2], Code: parts[3]}
	switch {
	case len([]rune(c.Prefix)) != 3:
		return bad("the CAB prefix is not 3 characters")
	case !countryCode.MatchString(c.Country):
		return bad("the country is not two capital letters")
	case !fourDigits.MatchString(c.Number):
		return bad("the number is not 4 digits")
	case !cabCode.MatchString(c.Code):
		return bad("the code is not 12 letters and digits")
	}
	return c, nil
}

// ParseOrgUID parses "NAME/ADDRESS/TAXID". The name is the first part and the
// tax id the last; anything between is the address, which may itself hold a
// slash.
func ParseOrgUID(attribute, raw string) (OrgUID, error) {
	first, middle, last, ok := splitUID(raw)
	if !ok {
		return OrgUID{}, NewError(MsgIdentityInvalid, nil,
			"%s %q is malformed: want name/address/tax id", attribute, raw)
	}
	o := OrgUID{Raw: raw, Name: first, Address: middle, TaxID: last}
	if o.Name == "" || o.TaxID == "" {
		return OrgUID{}, NewError(MsgIdentityInvalid, nil,
			"%s %q is malformed: the name or the tax id is empty", attribute, raw)
	}
	o.TaxIDIsVAT = vatNumber.MatchString(o.TaxID)
	return o, nil
}

// ParsePersonUID parses "NL/EXAMPLECAB/1234567890B": country, CAB name (which
// may hold a slash), authorisation UID.
func ParsePersonUID(attribute, raw string) (PersonUID, error) {
	first, middle, last, ok := splitUID(raw)
	if !ok {
		return PersonUID{}, NewError(MsgIdentityInvalid, nil,
			"%s %q is malformed: want country/CAB name/authorisation UID", attribute, raw)
	}
	p := PersonUID{Raw: raw, Country: first, CABName: middle, AuthorisationUID: last}
	switch {
	case !countryCode.MatchString(p.Country):
		return PersonUID{}, NewError(MsgIdentityInvalid, nil,
			"%s %q is malformed: the country is not two capital letters", attribute, raw)
	case p.CABName == "" || p.AuthorisationUID == "":
		return PersonUID{}, NewError(MsgIdentityInvalid, nil,
			"%s %q is malformed: the CAB name or the authorisation UID is empty", attribute, raw)
	}
	return p, nil
}

// splitUID splits an organisation's or a person's UID the one way SERMI
// writes both: the first part, the last, and whatever lies between (which
// may hold a slash). ok is false for fewer than three parts.
func splitUID(raw string) (first, middle, last string, ok bool) {
	parts := strings.Split(raw, "/")
	if len(parts) < 3 {
		return "", "", "", false
	}
	return parts[0], strings.Join(parts[1:len(parts)-1], "/"), parts[len(parts)-1], true
}
