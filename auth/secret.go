package auth

import "log/slog"

// Secret holds a token. Printing it, logging it with slog, or encoding it as
// JSON shows a placeholder, so a careless log line or debug dump cannot leak it;
// code that must send it calls Reveal.
type Secret string

const redacted = "[redacted]"

func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string { return redacted }

func (s Secret) GoString() string { return redacted }

func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText covers encoders other than encoding/json (TOML, YAML...).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
