package relay

import (
	"fmt"
	"log/slog"
	"net/netip"

	"golang.org/x/time/rate"
)

// EnrolmentSettings are relay.toml's enrolment settings:
//
//	enrolment = "garage"        # or "admin" (the default): who enrols kiosks
//	bind_to_garage = true       # the default with "garage"
//	deny_file = "denied"        # revoked kiosks and garages; read again within a second
//	[enrolment_limits]          # unenrolled callers, per replica
//	per_source_per_second = 1
//	per_source_burst = 5
//	global_per_second = 5
//	global_burst = 10
//	trusted_proxies = ["10.0.0.0/8"]  # the Ingress: its X-Forwarded-For names the caller
type EnrolmentSettings struct {
	Enrolment    string `toml:"enrolment"`
	BindToGarage *bool  `toml:"bind_to_garage"`
	DenyFile     string `toml:"deny_file"`
	EnrolLimits  struct {
		PerSourcePerSecond float64 `toml:"per_source_per_second"`
		PerSourceBurst     int     `toml:"per_source_burst"`
		GlobalPerSecond    float64 `toml:"global_per_second"`
		GlobalBurst        int     `toml:"global_burst"`
		// TrustedProxies are CIDRs of the load balancers in front of the
		// relay, whose X-Forwarded-For is believed.
		TrustedProxies []string `toml:"trusted_proxies"`
	} `toml:"enrolment_limits"`
}

func (c *Config) enrolmentDefaults() error {
	e := &c.EnrolmentSettings
	switch e.Enrolment {
	case "":
		e.Enrolment = "admin"
	case "admin", "garage":
	default:
		return c.mistake("enrolment", fmt.Sprintf("%q is not a policy", e.Enrolment), `use "admin" (relay add-kiosk) or "garage" (a garage's technician enrols its own kiosk)`)
	}
	if e.BindToGarage == nil {
		bind := e.Enrolment == "garage"
		e.BindToGarage = &bind
	}
	l := &e.EnrolLimits
	if l.PerSourcePerSecond == 0 {
		l.PerSourcePerSecond, l.PerSourceBurst = float64(DefaultEnrolLimits.PerSource), DefaultEnrolLimits.PerSourceBurst
	}
	if l.GlobalPerSecond == 0 {
		l.GlobalPerSecond, l.GlobalBurst = float64(DefaultEnrolLimits.Global), DefaultEnrolLimits.GlobalBurst
	}
	if l.PerSourcePerSecond < 0 || l.GlobalPerSecond < 0 || l.PerSourceBurst < 0 || l.GlobalBurst < 0 {
		return c.mistake("enrolment_limits", "has a negative value", "give each limit as 0 (its default) or more")
	}
	l.PerSourceBurst, l.GlobalBurst = max(1, l.PerSourceBurst), max(1, l.GlobalBurst)
	for _, p := range l.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			return c.mistake("enrolment_limits.trusted_proxies", fmt.Sprintf("%q is not an address range", p), `write ranges such as "10.0.0.0/8"`)
		}
	}
	return nil
}

// EnrolmentConfig is the server's enrolment policy, with the deny list
// opened (a missing file denies nothing until it appears).
func (c Config) EnrolmentConfig(log *slog.Logger) (EnrolmentConfig, error) {
	l := c.EnrolLimits
	ec := EnrolmentConfig{Garage: c.Enrolment == "garage", BindToGarage: c.BindToGarage != nil && *c.BindToGarage,
		Limits: EnrolLimits{PerSource: rate.Limit(l.PerSourcePerSecond), PerSourceBurst: l.PerSourceBurst,
			Global: rate.Limit(l.GlobalPerSecond), GlobalBurst: l.GlobalBurst}}
	for _, p := range l.TrustedProxies {
		ec.TrustedProxies = append(ec.TrustedProxies, netip.MustParsePrefix(p)) // checked when loaded
	}
	if c.DenyFile != "" {
		deny, err := OpenDenyFile(c.Path(c.DenyFile), func(err error) { log.Error("deny list", "error", err) })
		if err != nil {
			return ec, err
		}
		ec.Deny = deny
	}
	return ec, nil
}
