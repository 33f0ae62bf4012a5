package simulator

import (
	"container/heap"
	"time"
)

// Sessions and tokens live in maps (by code, by QR id, by access token) and
// each is also pushed, once, onto a min-heap by expiry. Every request pops
// the heap while its head has expired and forgets those entries, so a
// request costs O(log n) per expired entry instead of a walk over every open
// session; a lookup also checks the entry's own expiry, so an expired code is
// gone even between prunes. An entry that left its map early (exchanged,
// denied, lost) stays on the heap until its expiry and is then skipped.

type expiry struct {
	at    time.Time
	sess  *session // a session, or nil for a token
	token string
}

type expiryHeap []expiry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = expiry{} // let the session be collected
	*h = old[:len(old)-1]
	return e
}

// addSession stores a new session; the caller holds mu.
func (s *Simulator) addSession(sess *session) {
	s.sessions[sess.code], s.byQR[sess.qrID] = sess, sess
	heap.Push(&s.expiries, expiry{at: sess.expires, sess: sess})
}

// addToken stores an access token; the caller holds mu.
func (s *Simulator) addToken(token string, g grant) {
	s.tokens[token] = g
	heap.Push(&s.expiries, expiry{at: g.expires, token: token})
}

// prune forgets the sessions and tokens expired by now, popping the heap
// while its head has expired; the caller holds mu.
func (s *Simulator) prune(now time.Time) {
	for len(s.expiries) > 0 && !now.Before(s.expiries[0].at) {
		e := heap.Pop(&s.expiries).(expiry)
		if e.sess != nil && e.sess.expires.After(e.at) && s.sessions[e.sess.code] == e.sess {
			// Its life was extended (an approval): it waits for the new time.
			heap.Push(&s.expiries, expiry{at: e.sess.expires, sess: e.sess})
			continue
		}
		if e.sess != nil {
			if s.sessions[e.sess.code] == e.sess {
				delete(s.sessions, e.sess.code)
			}
			if s.byQR[e.sess.qrID] == e.sess {
				delete(s.byQR, e.sess.qrID)
			}
			continue
		}
		if g, ok := s.tokens[e.token]; ok && !now.Before(g.expires) {
			delete(s.tokens, e.token)
		}
	}
}

// sessionByCode is the live session with this authorisation code, or nil;
// the caller holds mu.
func (s *Simulator) sessionByCode(code string, now time.Time) *session {
	if sess := s.sessions[code]; sess != nil && now.Before(sess.expires) {
		return sess
	}
	return nil
}

// sessionByQR is the live session with this QR id, or nil; the caller holds mu.
func (s *Simulator) sessionByQR(qrID string, now time.Time) *session {
	if sess := s.byQR[qrID]; sess != nil && now.Before(sess.expires) {
		return sess
	}
	return nil
}

// grantOf is the live grant of this access token; the caller holds mu.
func (s *Simulator) grantOf(token string, now time.Time) (grant, bool) {
	g, ok := s.tokens[token]
	if !ok || !now.Before(g.expires) {
		return grant{}, false
	}
	return g, true
}
