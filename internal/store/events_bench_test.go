package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lordgame/lordgame/internal/store"
)

// BenchmarkAppendEvents is one shared log commit of the Dou Dizhu tables:
// one event for each of `games` fenced games in one AppendEvents, from one
// writer (the appender's group commit). cpu-us/op is this process's CPU;
// pg-cpu-us/op (PostgreSQL) the CPU of the server backends serving this
// process's connections, read from /proc: run it on the database's machine.
func BenchmarkAppendEvents(b *testing.B) {
	for _, games := range []int{1, 4} {
		b.Run(fmt.Sprintf("games=%d", games), func(b *testing.B) {
			benchBackends(b, func(b *testing.B, db *store.DB) {
				ctx := b.Context()
				ids := make([]int64, games)
				for i := range ids {
					ids[i] = newID()
					if err := db.CreateGame(ctx, store.NewGame{ID: ids[i], Mode: "classic", Seed: 1, Epoch: 1, Players: []store.Player{{Seat: 0, UserID: 1}}}); err != nil {
						b.Fatal(err)
					}
				}
				seq := int64(0)
				batch := make([]store.Event, games)
				appendOne := func() {
					seq++
					for i, id := range ids {
						batch[i] = store.Event{GameID: id, Seq: seq, Kind: "play", Payload: []byte(`{"seat":1,"cards":["3H","3D"]}`), Epoch: 1}
					}
					if err := db.AppendEvents(ctx, batch); err != nil {
						b.Fatal(err)
					}
				}
				appendOne() // connects and prepares
				backends := pgBackends(b)
				cpu0, pg0 := selfCPU(), procsCPU(backends)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					appendOne()
				}
				n := float64(seq - 1)
				b.ReportMetric(float64((selfCPU()-cpu0).Microseconds())/n, "cpu-us/op")
				if len(backends) > 0 {
					b.ReportMetric(float64((procsCPU(backends)-pg0).Microseconds())/n, "pg-cpu-us/op")
				}
			})
		})
	}
}

// pgBackends are the pids of the PostgreSQL backends connected to this
// process: pg_stat_activity's client ports that are this process's local
// TCP ports. None when the server is not on this machine or not used.
func pgBackends(b *testing.B) []int {
	base := os.Getenv(PostgresEnv)
	if base == "" || !strings.Contains(b.Name(), "postgres") {
		return nil
	}
	mine := localPorts()
	conn, err := pgx.Connect(context.Background(), withoutPoolParams(base))
	if err != nil {
		return nil
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), "SELECT pid, client_port FROM pg_stat_activity WHERE client_port IS NOT NULL")
	if err != nil {
		return nil
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var pid, port int32
		if rows.Scan(&pid, &port) == nil && mine[int(port)] {
			pids = append(pids, int(pid))
		}
	}
	return pids
}

// localPorts are the local ports of this process's TCP sockets.
func localPorts() map[int]bool {
	inodes := map[string]bool{}
	fds, _ := filepath.Glob("/proc/self/fd/*")
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	ports := map[int]bool{}
	for _, f := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		data, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(data), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) < 10 || !inodes[fs[9]] {
				continue
			}
			if i := strings.LastIndexByte(fs[1], ':'); i >= 0 {
				if p, err := strconv.ParseInt(fs[1][i+1:], 16, 32); err == nil {
					ports[int(p)] = true
				}
			}
		}
	}
	return ports
}

// procsCPU is the user and system CPU time the processes have used.
func procsCPU(pids []int) time.Duration {
	var t time.Duration
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(data)
		fs := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(fs) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(fs[11], 10, 64)
		k, _ := strconv.ParseInt(fs[12], 10, 64)
		t += time.Duration(u+k) * time.Second / 100 // USER_HZ
	}
	return t
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
