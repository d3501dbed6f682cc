package main

import (
	"context"

	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/world"
)

// worldNode is the MMO world of a node: one world on the demo map, its
// native routes (world.*) on the gateway.
type worldNode struct {
	w      *world.World
	native *world.Native
}

func newWorldNode(router *gateway.Router) (*worldNode, error) {
	w, err := world.New(world.DemoConfig(), nil)
	if err != nil {
		return nil, err
	}
	return &worldNode{w: w, native: world.RegisterNative(router, w)}, nil
}

func (n *worldNode) attach(gw *gateway.Gateway) { n.native.Attach(gw) }

func (n *worldNode) run(ctx context.Context) error { return n.w.Run(ctx) }
