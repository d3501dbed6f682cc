package cluster_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/lordgame/lordgame/internal/cluster"
)

// A service answers requests for its route in the RPC queue group, so that
// any number of nodes can serve it; a caller sends a request with a deadline.
func ExampleEmbedded() {
	ctx := context.Background()
	bus, err := cluster.Embedded(ctx, cluster.DefaultConfig(), slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer bus.Close()

	subjects := cluster.NewSubjects(cluster.DefaultPrefix)
	_, err = bus.Subscribe(subjects.RPC("sys.echo"), cluster.RPCQueue, func(_ context.Context, m *cluster.Msg) {
		_ = m.Respond(m.Data)
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	reply, err := bus.Request(ctx, subjects.RPC("sys.echo"), []byte("hello"))
	fmt.Printf("%s %v\n", reply, err)

	_, err = bus.Request(ctx, subjects.RPC("ddz.play"), nil)
	fmt.Println(err)
	// Output:
	// hello <nil>
	// request lordgame.rpc.ddz.play: cluster: no responders
}
