package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Connect, call a route, listen for pushes, and close.
func Example() {
	ctx := context.Background()
	c, err := client.Dial(ctx, "ws://127.0.0.1:8080/ws", client.Options{Reconnect: true})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.On("ddz.event", func(p client.Push) { fmt.Println("push on", p.Route) })
	var pong pb.PingResp
	if err := c.Request(ctx, "sys.ping", &pb.PingReq{}, &pong); err != nil {
		log.Fatal(err)
	}
	fmt.Println("server time", pong.ServerTimeMs)
}
