package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// KV is a JetStream key-value bucket: every key holds its latest value and
// a revision that grows with each write, so that a writer can make its
// write conditional on the revision it read (Create, Update). The cluster
// keeps membership, presence, ownership leases and leader records in
// buckets like this.
type KV = jetstream.KeyValue

// KVEntry is one value read from a KV with its revision.
type KVEntry = jetstream.KeyValueEntry

// Errors of KV operations, for errors.Is.
var (
	// ErrKeyNotFound means the key holds no value (never written,
	// deleted or expired).
	ErrKeyNotFound = jetstream.ErrKeyNotFound
	// ErrKeyExists means a Create found a value, or an Update's revision
	// was not the key's latest: someone else wrote first.
	ErrKeyExists = jetstream.ErrKeyExists
)

// IsConflict reports whether err is a lost compare-and-set: a Create of a
// key that exists or an Update with a stale revision.
func IsConflict(err error) bool {
	var apiErr *jetstream.APIError
	if errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// Bucket describes a KV bucket the cluster uses.
type Bucket struct {
	// Name is the bucket's name under the prefix ("nodes" becomes
	// "lordgame_nodes").
	Name string
	// TTL is how long a value lives after its last write; 0 keeps values.
	TTL time.Duration
	// File keeps the bucket on disk instead of in the NATS server's memory.
	File bool
}

// KV opens the bucket b under the configured prefix, creating it or
// updating its settings when needed.
func (n *NATS) KV(ctx context.Context, b Bucket) (KV, error) {
	storage := jetstream.MemoryStorage
	if b.File {
		storage = jetstream.FileStorage
	}
	name := bucketName(n.cfg.Prefix, b.Name)
	kv, err := n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: name, TTL: b.TTL, Storage: storage, History: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: bucket %s: %w", name, err)
	}
	return kvConn{KeyValue: kv, n: n}, nil
}

// OpenKV opens an existing bucket without changing it; it fails with an
// error matching jetstream.ErrBucketNotFound when there is none.
func (n *NATS) OpenKV(ctx context.Context, name string) (KV, error) {
	kv, err := n.js.KeyValue(ctx, bucketName(n.cfg.Prefix, name))
	if err != nil {
		return nil, fmt.Errorf("cluster: bucket %s: %w", name, err)
	}
	return kvConn{KeyValue: kv, n: n}, nil
}

// DeleteBuckets removes every bucket under the configured prefix. Tests
// use it to clean up after themselves on a shared NATS.
func (n *NATS) DeleteBuckets(ctx context.Context) error {
	prefix := bucketName(n.cfg.Prefix, "")
	var errs []error
	names := n.js.KeyValueStoreNames(ctx)
	for name := range names.Name() {
		if strings.HasPrefix(name, prefix) {
			if err := n.js.DeleteKeyValue(ctx, name); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
				errs = append(errs, err)
			}
		}
	}
	if err := names.Error(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// bucketName is "<prefix>_<name>" with the prefix's dots turned into
// underscores (bucket names allow letters, digits, '-' and '_').
func bucketName(prefix, name string) string {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return strings.NewReplacer(".", "_", "*", "_", ">", "_").Replace(prefix) + "_" + name
}

// LastRevision makes a Delete conditional on the key's revision.
func LastRevision(rev uint64) jetstream.KVDeleteOpt { return jetstream.LastRevision(rev) }

// kvOpTimeout bounds one KV operation: they take milliseconds on a healthy
// cluster, and a caller on a request path must not wait out its whole
// deadline for one.
const kvOpTimeout = 2 * time.Second

// kvConn is a bucket whose operations fail at once with ErrDisconnected
// while the connection to NATS is down (nats.go would otherwise queue the
// request and wait for the deadline) and take at most kvOpTimeout.
type kvConn struct {
	jetstream.KeyValue
	n *NATS
}

func (k kvConn) op(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if !k.n.nc.IsConnected() {
		return ctx, func() {}, ErrDisconnected
	}
	ctx, cancel := context.WithTimeout(ctx, kvOpTimeout)
	return ctx, cancel, nil
}

func (k kvConn) Get(ctx context.Context, key string) (KVEntry, error) {
	ctx, cancel, err := k.op(ctx)
	defer cancel()
	if err != nil {
		return nil, err
	}
	return k.KeyValue.Get(ctx, key)
}

func (k kvConn) Put(ctx context.Context, key string, value []byte) (uint64, error) {
	ctx, cancel, err := k.op(ctx)
	defer cancel()
	if err != nil {
		return 0, err
	}
	return k.KeyValue.Put(ctx, key, value)
}

func (k kvConn) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	ctx, cancel, err := k.op(ctx)
	defer cancel()
	if err != nil {
		return 0, err
	}
	return k.KeyValue.Create(ctx, key, value, opts...)
}

func (k kvConn) Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	ctx, cancel, err := k.op(ctx)
	defer cancel()
	if err != nil {
		return 0, err
	}
	return k.KeyValue.Update(ctx, key, value, rev)
}

func (k kvConn) Delete(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error {
	ctx, cancel, err := k.op(ctx)
	defer cancel()
	if err != nil {
		return err
	}
	return k.KeyValue.Delete(ctx, key, opts...)
}
