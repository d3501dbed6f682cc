package cluster

import (
	"context"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// PresenceChange is one record of the presence bucket seen by Watch: uid
// is connected at Loc (Here), or its record is gone (!Here).
type PresenceChange struct {
	UserID int64
	Loc    Location
	// At is when the record was written (a refresh writes it again).
	At   time.Time
	Here bool
}

// PresenceFollower is told what the presence bucket holds. Each
// (re)start of the watch begins with Reset, replays the current records
// through Change and ends the replay with Synced: a record not replayed
// since the last Reset is gone. Then every change comes through Change.
// The calls come from Watch's goroutine, one at a time.
type PresenceFollower interface {
	Reset()
	Change(PresenceChange)
	Synced()
}

// Watch follows the presence bucket into f until ctx ends, starting the
// watch again when it breaks (NATS went away). A record is only as good
// as its gateway: f checks that Loc.Node is alive and At within TTL.
func (p *Presence) Watch(ctx context.Context, f PresenceFollower) error {
	for ctx.Err() == nil {
		w, err := p.kv.WatchAll(ctx)
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		f.Reset()
		followPresence(ctx, w, f)
		_ = w.Stop()
	}
	return nil
}

func followPresence(ctx context.Context, w jetstream.KeyWatcher, f PresenceFollower) {
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil {
				f.Synced()
				continue
			}
			uid, err := strconv.ParseInt(e.Key(), 10, 64)
			if err != nil {
				continue
			}
			c := PresenceChange{UserID: uid, At: e.Created()}
			if e.Operation() == jetstream.KeyValuePut {
				c.Loc, c.Here = decodeLoc(e)
			}
			f.Change(c)
		}
	}
}
