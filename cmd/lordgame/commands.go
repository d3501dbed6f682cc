package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/lordgame/lordgame/internal/auth"
	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/store"
)

// runMigrate is `lordgame migrate up|down|status [flags]`: -db and -data
// (or their environment variables) choose the database.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "up" && args[0] != "down" && args[0] != "status") {
		return errors.New("usage: lordgame migrate up|down|status [-db URL] [-data DIR]")
	}
	cfg, _, err := loadConfig(args[1:], getenv, stderr)
	if err != nil {
		return err
	}
	return store.MigrateCommand(ctx, cfg.DB, cfg.Data, args[:1], stdout)
}

// runAdmin is `lordgame admin grant USERNAME [flags]`: it gives an existing
// account the admin role.
func runAdmin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 || args[0] != "grant" {
		return errors.New("usage: lordgame admin grant USERNAME [-db URL] [-data DIR]")
	}
	cfg, _, err := loadConfig(args[2:], getenv, stderr)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DB, cfg.Data)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer db.Close()
	if err := auth.GrantAdmin(ctx, db, args[1]); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is an admin\n", args[1])
	return nil
}

// runCluster is `lordgame cluster nodes [-nats URL] [-nats-prefix P]`: it
// prints the live nodes of the cluster as JSON.
func runCluster(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "nodes" {
		return errors.New("usage: lordgame cluster nodes [-nats URL] [-nats-prefix PREFIX]")
	}
	cfg, _, err := loadConfig(args[1:], getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.Cluster.URL == "" {
		return errors.New("lordgame cluster nodes: set -nats to the cluster's NATS URL")
	}
	bus, err := cluster.Connect(ctx, cfg.Cluster.URL, cfg.Cluster, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer bus.Close()
	nodes, err := cluster.Nodes(ctx, bus)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"nodes": nodesJSON(nodes)})
}
