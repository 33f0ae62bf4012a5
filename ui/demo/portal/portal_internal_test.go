package portal

import (
	"fmt"
	"testing"
	"time"
)

// The portal remembers used hand-offs until they expire, and no more than
// maxUsedHandoffs: when that many are live it refuses new ones rather than
// forget one that could then be used again.
func TestUsedHandoffsAreBounded(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	var u usedHandoffs
	for i := range maxUsedHandoffs {
		if fresh, full := u.take(fmt.Sprint("jti-", i), now.Add(5*time.Minute), now); !fresh || full {
			t.Fatalf("hand-off %d: fresh %v full %v", i, fresh, full)
		}
	}
	if fresh, full := u.take("jti-0", now.Add(5*time.Minute), now.Add(time.Minute)); fresh || full {
		t.Errorf("a used hand-off again: fresh %v full %v, want used", fresh, full)
	}
	if fresh, full := u.take("one-more", now.Add(6*time.Minute), now.Add(time.Minute)); fresh || !full {
		t.Errorf("one more while all are live: fresh %v full %v, want full", fresh, full)
	}
	if len(u.until) != maxUsedHandoffs {
		t.Errorf("%d remembered, want %d", len(u.until), maxUsedHandoffs)
	}
	// Once they have expired (their assertions no longer verify), their
	// room is free again.
	later := now.Add(5 * time.Minute)
	if fresh, full := u.take("one-more", later.Add(5*time.Minute), later); !fresh || full {
		t.Errorf("after the others expired: fresh %v full %v", fresh, full)
	}
	if len(u.until) != 1 {
		t.Errorf("%d remembered after the expired ones were dropped, want 1", len(u.until))
	}
}
