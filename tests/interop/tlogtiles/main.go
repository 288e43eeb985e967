// Command tlogtiles reads a Dismantle Ledger log as c2sp.org/tlog-tiles with Go's own
// transparency-log code, golang.org/x/mod/sumdb/tlog and golang.org/x/mod/sumdb/note, and
// verifies it: the checkpoint's signature with the plant's verifier key, the inclusion of
// the given entries (ProveRecord/CheckRecord, through TileHashReader, which authenticates
// every tile against the checkpoint), and the consistency of an older checkpoint with it
// (ProveTree/CheckTree).
//
//	tlogtiles -vkey VKEY -source URL|DIR [-old FILE] [-entries 0,5,41]
//
// SOURCE is the log's prefix (http://console:8000/tlog) or a folder written by
// `dledger tiles export`. OLD is a checkpoint note saved earlier. One line per check is
// printed; the exit status is 1 when anything does not verify. Build it in GOPATH mode
// against Debian's golang-golang-x-mod-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o tlogtiles ./tests/interop/tlogtiles
package main

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// source reads tlog-tiles resources by path relative to the log's prefix.
type source struct{ prefix string }

func (s source) read(path string) ([]byte, error) {
	if strings.HasPrefix(s.prefix, "http://") || strings.HasPrefix(s.prefix, "https://") {
		url := strings.TrimSuffix(s.prefix, "/") + "/" + path
		resp, err := http.Get(url) // Go asks for gzip and inflates it itself
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: %s", url, resp.Status)
		}
		return io.ReadAll(resp.Body)
	}
	return os.ReadFile(filepath.Join(s.prefix, filepath.FromSlash(path)))
}

// tilePath maps x/mod's tile/8/L/N[.p/W] (L = -1 written "data") to tlog-tiles' paths,
// which have no height: tile/L/N[.p/W], and tile/entries/N[.p/W] for the data tiles.
func tilePath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), "tile/8/")
	if t.L == -1 {
		p = "entries/" + strings.TrimPrefix(p, "data/")
	}
	return "tile/" + p
}

// tileReader is a tlog.TileReader over a source; TileHashReader authenticates what it reads.
type tileReader struct{ src source }

func (r tileReader) Height() int { return 8 }

func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := r.src.read(tilePath(t))
		if err != nil {
			return nil, err
		}
		data[i] = b
	}
	return data, nil
}

func (r tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

// checkpoint opens a signed c2sp.org/tlog-checkpoint note (x/mod's ParseTree expects the
// go.sum database's own header, so the three lines are read here).
func checkpoint(msg []byte, verifier note.Verifier) (tlog.Tree, error) {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return tlog.Tree{}, err
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != verifier.Name() {
		return tlog.Tree{}, fmt.Errorf("the checkpoint's origin is not %q", verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return tlog.Tree{}, fmt.Errorf("bad tree size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return tlog.Tree{}, fmt.Errorf("bad root %q", lines[2])
	}
	var h tlog.Hash
	copy(h[:], root)
	return tlog.Tree{N: size, Hash: h}, nil
}

// entry reads entry i from its bundle: uint16 big-endian lengths, then the bytes.
func entry(src source, tree tlog.Tree, i int64) ([]byte, error) {
	w := tree.N - i/256*256
	if w > 256 {
		w = 256
	}
	bundle, err := src.read(tilePath(tlog.Tile{H: 8, L: -1, N: i / 256, W: int(w)}))
	if err != nil {
		return nil, err
	}
	for k, at := int64(0), 0; at+2 <= len(bundle); k++ {
		size := int(bundle[at])<<8 | int(bundle[at+1])
		if at+2+size > len(bundle) {
			break
		}
		if k == i%256 {
			return bundle[at+2 : at+2+size], nil
		}
		at += 2 + size
	}
	return nil, errors.New("the bundle does not hold the entry")
}

func main() {
	vkey := flag.String("vkey", "", "the plant's verifier key")
	from := flag.String("source", "", "the log's tiles: an http(s) prefix or a folder")
	old := flag.String("old", "", "an older checkpoint note, to prove consistency from")
	entries := flag.String("entries", "", "entry indexes to prove, comma-separated")
	flag.Parse()
	failed := false
	fail := func(format string, args ...any) {
		fmt.Printf("FAIL "+format+"\n", args...)
		failed = true
	}

	verifier, err := note.NewVerifier(*vkey)
	if err != nil {
		fmt.Println("FAIL verifier key:", err)
		os.Exit(2)
	}
	src := source{*from}
	msg, err := src.read("checkpoint")
	if err != nil {
		fmt.Println("FAIL checkpoint:", err)
		os.Exit(1)
	}
	tree, err := checkpoint(msg, verifier)
	if err != nil {
		fmt.Println("FAIL checkpoint:", err)
		os.Exit(1)
	}
	fmt.Printf("ok checkpoint %d %s\n", tree.N, tree.Hash)
	hashes := tlog.TileHashReader(tree, tileReader{src})

	for _, field := range strings.Split(*entries, ",") {
		if field == "" {
			continue
		}
		i, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			fail("entry %q: not an index", field)
			continue
		}
		data, err := entry(src, tree, i)
		if err != nil {
			fail("entry %d: %v", i, err)
			continue
		}
		proof, err := tlog.ProveRecord(tree.N, i, hashes)
		if err != nil {
			fail("entry %d: %v", i, err)
			continue
		}
		if err := tlog.CheckRecord(proof, tree.N, tree.Hash, i, tlog.RecordHash(data)); err != nil {
			fail("entry %d: %v", i, err)
			continue
		}
		fmt.Printf("ok inclusion %d\n", i)
	}

	if *old != "" {
		msg, err := os.ReadFile(*old)
		if err == nil {
			var older tlog.Tree
			if older, err = checkpoint(msg, verifier); err == nil {
				var proof tlog.TreeProof
				if proof, err = tlog.ProveTree(tree.N, older.N, hashes); err == nil {
					err = tlog.CheckTree(proof, tree.N, tree.Hash, older.N, older.Hash)
				}
				if err == nil {
					fmt.Printf("ok consistency %d %d\n", older.N, tree.N)
				}
			}
		}
		if err != nil {
			fail("consistency: %v", err)
		}
	}
	if failed {
		os.Exit(1)
	}
}
