package idle

import (
	"testing"
	"time"
)

func TestParseIORegistry(t *testing.T) {
	// As a Mac's `ioreg -c IOHIDSystem -d 4 -k HIDIdleTime` prints it.
	out := []byte(`+-o Root  <class IORegistryEntry, id 0x100000100, retain 28>
  +-o J314sAP  <class IOPlatformExpertDevice, id 0x100000207, registered, matched, active, busy 0 (1166885 ms), retain 39>
    +-o IOResources  <class IOResources, id 0x100000105, registered, matched, active, busy 0 (1 ms), retain 302>
      +-o IOHIDSystem  <class IOHIDSystem, id 0x1000003f8, registered, matched, active, busy 0 (0 ms), retain 18>
          {
            "HIDIdleTime" = 12873040125
          }
`)
	d, err := parseIORegistry(out)
	if err != nil || d != 12873040125*time.Nanosecond {
		t.Errorf("%s %v", d, err)
	}
	if _, err := parseIORegistry([]byte("+-o Root")); err == nil {
		t.Error("no HIDIdleTime, no error")
	}
}
