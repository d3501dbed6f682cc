package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Location is where a user is connected: a gateway node and a session.
type Location struct {
	Node    string
	Session string
	// Rev is the presence record's revision: a later login has a higher
	// one.
	Rev uint64
}

// Presence is the cluster-wide map from user to the gateway node and
// session that hold the user's connection, in the "presence" bucket. A
// record names its gateway, so it is valid only while that gateway is a
// live member: when a gateway dies, its users are offline as soon as it
// drops out, without a write per user.
type Presence struct {
	kv      KV
	members *Members
	ttl     time.Duration
}

// PresenceTTL is how long a presence record lives without a refresh;
// gateways refresh their sessions' records at half of it.
const PresenceTTL = 10 * time.Minute

// NewPresence opens the presence bucket.
func NewPresence(ctx context.Context, bus *NATS, members *Members) (*Presence, error) {
	kv, err := bus.KV(ctx, Bucket{Name: "presence", TTL: PresenceTTL})
	if err != nil {
		return nil, err
	}
	return &Presence{kv: kv, members: members, ttl: PresenceTTL}, nil
}

func userKey(uid int64) string { return strconv.FormatInt(uid, 10) }

func encodeLoc(l Location) []byte { return []byte(l.Node + " " + l.Session) }

func decodeLoc(e KVEntry) (Location, bool) {
	node, sess, ok := strings.Cut(string(e.Value()), " ")
	return Location{Node: node, Session: sess, Rev: e.Revision()}, ok
}

// Claim records loc as uid's connection and returns the location it
// replaced (valid: its gateway is live), so that the caller can close that
// session. Concurrent claims are ordered by the bucket: each sees the one
// before it as prev, so every older session is closed by exactly one
// newer claim.
func (p *Presence) Claim(ctx context.Context, uid int64, loc Location) (prev Location, hadPrev bool, rev uint64, err error) {
	key := userKey(uid)
	for range 16 {
		e, gerr := p.kv.Get(ctx, key)
		switch {
		case errors.Is(gerr, jetstream.ErrKeyNotFound):
			rev, err = p.kv.Create(ctx, key, encodeLoc(loc))
			if err == nil {
				return Location{}, false, rev, nil
			}
		case gerr != nil:
			return Location{}, false, 0, fmt.Errorf("cluster: presence: %w", gerr)
		default:
			rev, err = p.kv.Update(ctx, key, encodeLoc(loc), e.Revision())
			if err == nil {
				old, ok := decodeLoc(e)
				ok = ok && (p.members == nil || p.members.Alive(old.Node))
				return old, ok, rev, nil
			}
		}
		if !IsConflict(err) {
			return Location{}, false, 0, fmt.Errorf("cluster: presence: %w", err)
		}
	}
	return Location{}, false, 0, errors.New("cluster: presence: too many concurrent logins")
}

// Refresh rewrites uid's record so that it does not expire; it fails with
// a conflict (IsConflict) when a newer login replaced it.
func (p *Presence) Refresh(ctx context.Context, uid int64, loc Location, rev uint64) (uint64, error) {
	return p.kv.Update(ctx, userKey(uid), encodeLoc(loc), rev)
}

// Release removes uid's record if it is still the one written at rev.
func (p *Presence) Release(ctx context.Context, uid int64, rev uint64) error {
	err := p.kv.Delete(ctx, userKey(uid), jetstream.LastRevision(rev))
	if err != nil && !IsConflict(err) {
		return fmt.Errorf("cluster: presence: %w", err)
	}
	return nil
}

// Lookup returns where uid's record says the user is connected, whether
// or not that gateway is alive: a push sent to a gateway that is gone
// reaches nobody, while one withheld from a gateway this node has not
// heard from lately (it is just back from an outage) would be lost.
func (p *Presence) Lookup(ctx context.Context, uid int64) (Location, bool, error) {
	e, err := p.kv.Get(ctx, userKey(uid))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Location{}, false, nil
	}
	if err != nil {
		return Location{}, false, fmt.Errorf("cluster: presence: %w", err)
	}
	loc, ok := decodeLoc(e)
	return loc, ok, nil
}

// Online reports whether uid is connected to a live gateway.
func (p *Presence) Online(ctx context.Context, uid int64) (bool, error) {
	loc, ok, err := p.Lookup(ctx, uid)
	if err != nil || !ok {
		return false, err
	}
	return p.members == nil || p.members.Alive(loc.Node), nil
}

// TTL is the records' lifetime without a refresh.
func (p *Presence) TTL() time.Duration { return p.ttl }
