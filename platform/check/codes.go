package check

import (
	"fmt"
	"time"

	"github.com/workshop-login/workshop-login/platform/config"
)

// Codes is the row for when QR codes are asked for, and what that costs the
// Trust Centre while nobody is at the kiosk.
func Codes(k config.Kiosk, pollInterval time.Duration) Row {
	row := Row{Check: "qr codes"}
	if k.Codes == config.CodesOnDemand {
		row.Result = OK
		row.Detail = fmt.Sprintf("on demand: no code and no request at rest; a code on a touch or key, rest again after %s without input", k.CodeRestAfter)
		return row
	}
	polls := int(time.Hour / max(pollInterval, time.Second))
	row.Result = Note
	row.Detail = fmt.Sprintf("always on screen: at least %d Trust Centre requests an hour for nobody (a token poll every %s for each live code, and the codes)", polls, pollInterval)
	row.WhatToDo = `set kiosk.codes = "on_demand": a code only once someone touches the kiosk`
	return row
}
