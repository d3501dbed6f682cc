// Command lordgame is the LordGame server: every role in one process by
// default (HTTP API, WebSocket and TCP gateways, services, web client).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "lordgame:", err)
		os.Exit(1)
	}
}

// run is main without the process: tests call it with their own context,
// arguments and environment. ready, when not nil, receives the server once
// every listener is up.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready chan<- *server) error {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "version":
			return runVersion(args[1:], stdout)
		case "backup":
			return runBackup(ctx, args[1:], getenv, stdout, stderr)
		case "restore":
			return runRestore(ctx, args[1:], getenv, stdout, stderr)
		case "migrate":
			return runMigrate(ctx, args[1:], getenv, stdout, stderr)
		case "admin":
			return runAdmin(ctx, args[1:], getenv, stdout, stderr)
		case "keys":
			return runKeys(ctx, args[1:], getenv, stdout, stderr)
		case "cluster":
			return runCluster(ctx, args[1:], getenv, stdout, stderr)
		case "identity":
			return runIdentity(ctx, args[1:], getenv, stdout, stderr)
		case "health":
			return runHealth(ctx, args[1:], getenv, stdout, stderr)
		case "drain":
			return runDrain(ctx, args[1:], getenv, stdout, stderr)
		default:
			return unknownCommand(args[0])
		}
	}
	cfg, _, err := loadConfig(args, getenv, stderr)
	if errors.Is(err, errCheckOnly) {
		fmt.Fprintln(stdout, "configuration ok")
		return nil
	}
	if err != nil {
		return err
	}
	srv, err := newServer(ctx, cfg, stderr)
	if errors.Is(err, errStartCancelled) && ctx.Err() != nil {
		return nil // stopped while waiting for the cluster bus
	}
	if err != nil {
		return err
	}
	return srv.Run(ctx, ready)
}
