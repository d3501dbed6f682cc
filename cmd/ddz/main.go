// Command ddz is the Dou Dizhu rules engine as a JSON-lines tool: it
// classifies plays, lists legal moves, compares plays and simulates bot
// games. docs/ddz.md describes every command.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
)

const usage = `usage: ddz <command> [flags]

commands (JSON lines on stdin, one JSON line out per line in):
  classify   {"cards":[...]}           -> {"type":"trio_single","rank":"3","len":1}
  moves      {"hand":[...],"prev":[...]} -> {"moves":[[],[...],...]}
  beats      {"a":[...],"b":[...]}      -> {"beats":true}
  sim        -games N -seed S -bots normal,easy,easy [-rotate] [-bidding score|grab]
`

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if errors.Is(err, errUsage) {
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("ddz: bad usage")

func run(args []string, in io.Reader, out io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "classify":
		return lines(in, out, classify)
	case "moves":
		return lines(in, out, moves)
	case "beats":
		return lines(in, out, beats)
	case "sim":
		return sim(args[1:], out)
	case "help", "-h", "-help", "--help":
		_, err := fmt.Fprint(out, usage)
		return err
	}
	return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
}

// lines answers every input line with one output line, in order. A line
// that fails gets {"error":"..."} and the next line is read.
func lines(in io.Reader, out io.Writer, handle func([]byte) (any, error)) error {
	r := bufio.NewReaderSize(in, 64<<10)
	w := bufio.NewWriter(out)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			resp, herr := handle(bytes.TrimSpace(line))
			if herr != nil {
				resp = errorLine{herr.Error()}
			}
			b, merr := json.Marshal(resp)
			if merr != nil {
				b, _ = json.Marshal(errorLine{merr.Error()})
			}
			w.Write(b)
			w.WriteByte('\n')
			if r.Buffered() == 0 {
				if ferr := w.Flush(); ferr != nil {
					return ferr
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return w.Flush()
		}
		if err != nil {
			return err
		}
	}
}

type errorLine struct {
	Error string `json:"error"`
}

// decode reads one JSON object line into v.
func decode(line []byte, v any) error {
	if len(line) == 0 {
		return errors.New("empty line")
	}
	if err := json.Unmarshal(line, v); err != nil {
		return fmt.Errorf("bad json: %w", err)
	}
	return nil
}

// cards parses a list of card strings; a multiset the deck cannot hold
// (BJ BJ) is returned as it is, for the caller to judge.
func cards(field string, list []string) (ddz.Cards, error) {
	ranks := make([]ddz.Rank, len(list))
	for i, s := range list {
		r, err := ddz.ParseRank(s)
		if err != nil {
			return ddz.Cards{}, fmt.Errorf("%s: unknown card %q", field, s)
		}
		ranks[i] = r
	}
	c, err := ddz.CardsOf(ranks...)
	if err != nil {
		return ddz.Cards{}, fmt.Errorf("%s: %w", field, err)
	}
	return c, nil
}

func classify(line []byte) (any, error) {
	var req struct {
		Cards *[]string `json:"cards"`
	}
	if err := decode(line, &req); err != nil {
		return nil, err
	}
	if req.Cards == nil {
		return nil, errors.New(`missing "cards"`)
	}
	c, err := cards("cards", *req.Cards)
	if err != nil {
		return nil, err
	}
	return ddz.Classify(c), nil
}

func moves(line []byte) (any, error) {
	var req struct {
		Hand *[]string `json:"hand"`
		Prev []string  `json:"prev"`
	}
	if err := decode(line, &req); err != nil {
		return nil, err
	}
	if req.Hand == nil {
		return nil, errors.New(`missing "hand"`)
	}
	hand, err := cards("hand", *req.Hand)
	if err != nil {
		return nil, err
	}
	if !hand.InDeck() {
		return nil, errors.New("hand: more copies of a card than the deck holds")
	}
	prev, err := cards("prev", req.Prev)
	if err != nil {
		return nil, err
	}
	var label ddz.Label
	if !prev.IsEmpty() {
		if label = ddz.Classify(prev); !label.Valid() {
			return nil, errors.New("prev: not a legal play")
		}
	}
	ms := ddz.Moves(hand, label)
	list := make([][]ddz.Rank, len(ms))
	for i, m := range ms {
		list[i] = m.Cards.Ranks()
	}
	slices.SortFunc(list, compareMoves)
	return struct {
		Moves [][]ddz.Rank `json:"moves"`
	}{list}, nil
}

// compareMoves orders moves shorter first, then lexicographically by rank;
// the pass, with no cards, comes first.
func compareMoves(a, b []ddz.Rank) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return slices.Compare(a, b)
}

func beats(line []byte) (any, error) {
	var req struct {
		A []string `json:"a"`
		B []string `json:"b"`
	}
	if err := decode(line, &req); err != nil {
		return nil, err
	}
	a, err := cards("a", req.A)
	if err != nil {
		return nil, err
	}
	b, err := cards("b", req.B)
	if err != nil {
		return nil, err
	}
	return struct {
		Beats bool `json:"beats"`
	}{ddz.Beats(ddz.Classify(a), ddz.Classify(b))}, nil
}
