package relay

import (
	"crypto/rand"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
)

// Enrolment is a kiosk a garage enrolled itself (enrolment = "garage"): who
// approved it, for which garage, when. The relay writes it nowhere: it
// travels sealed in the kiosk's credential, so every replica with the
// sealing keys knows the kiosk, and the deny list revokes it.
type Enrolment struct {
	Name       string `json:"n"` // what the kiosk asked to be called
	Code       string `json:"c"` // 8 random characters, unique per enrolment
	Garage     string `json:"g"` // the approving technician's IOUID
	ApprovedBy string `json:"a"` // the technician's authorisation UID
	At         int64  `json:"t"` // when, Unix milliseconds
}

// codeAlphabet has no 0/O, 1/I/L or U: a code is read off a screen.
const codeAlphabet = "ABCDEFGHJKMNPQRSTVWXYZ23456789"

var (
	enrolName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$`)
	enrolCode = regexp.MustCompile(`^[` + codeAlphabet + `]{8}$`)
)

// ValidEnrolName says whether name may name a kiosk that enrols itself.
func ValidEnrolName(name string) bool { return enrolName.MatchString(name) }

// newEnrolCode is 8 characters of a 30-letter alphabet: 39 bits, enough
// that two kiosks never share one by chance.
func newEnrolCode() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)] // 256 % 30 biases a little; harmless for a label
	}
	return string(b), nil
}

// Kiosk is the name handles, logs, rate limits and assertions know the
// kiosk by: "name@CODE". The '@' keeps it apart from every name relay
// add-kiosk accepts.
func (e Enrolment) Kiosk() string { return e.Name + "@" + e.Code }

// ShortCode is the code as the screen shows it: "K7Q4-MZ2A".
func (e Enrolment) ShortCode() string { return e.Code[:4] + "-" + e.Code[4:] }

// Place is what the kiosk shows of itself.
func (e Enrolment) Place(bound bool) relayapi.KioskPlace {
	p := relayapi.KioskPlace{Name: e.Name, Garage: e.Garage, Code: e.ShortCode(),
		EnrolledAt: time.UnixMilli(e.At).UTC(), ApprovedBy: e.ApprovedBy, BoundToGarage: bound}
	if org, err := auth.ParseOrgUID("iouid", e.Garage); err == nil {
		p.GarageName = org.Name
	}
	return p
}

func (e Enrolment) check() error {
	if !ValidEnrolName(e.Name) || !enrolCode.MatchString(e.Code) || e.Garage == "" || e.ApprovedBy == "" || e.At == 0 {
		return errors.New("relay: an enrolment needs a name, a code, a garage, an approver and a time")
	}
	return nil
}

// SealCredential seals e with the current key: the kiosk's credential.
func (s *Sealer) SealCredential(e Enrolment) (string, error) {
	if err := e.check(); err != nil {
		return "", err
	}
	h, err := s.Seal(Handle{Kind: HandleCredential, Kiosk: e.Kiosk(), IssuedAt: time.UnixMilli(e.At), Enrolment: &e})
	if err != nil {
		return "", err
	}
	return relayapi.CredentialPrefix + h, nil
}

// OpenCredential opens a kiosk's credential. Unlike a sign-in's handle it
// has no age limit and opens under a retired key for as long as the keys
// file keeps it: the kiosk renews it (renew) at its next GET /v1/kiosk, so
// a rotation never un-enrols a kiosk that is in use.
func (s *Sealer) OpenCredential(credential string) (e Enrolment, renew bool, err error) {
	token, ok := strings.CutPrefix(credential, relayapi.CredentialPrefix)
	if !ok {
		return Enrolment{}, false, ErrNotEnrolled
	}
	h, k, err := s.unseal(token, s.now())
	if err != nil {
		return Enrolment{}, false, err
	}
	if h.Kind != HandleCredential || h.Enrolment == nil || h.Kiosk != h.Enrolment.Kiosk() {
		return Enrolment{}, false, ErrHandleMalformed
	}
	return *h.Enrolment, k.id != s.current, nil
}
