package ingest_test

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trustlens/trustlens/broker"
)

// TestMain doubles as a broker process for the benchmarks: run with
// TRUSTLENS_TEST_BROKER_PREFIX set, the test binary serves an embedded
// broker on a free port, prints its address and waits for SIGTERM.
func TestMain(m *testing.M) {
	if prefix := os.Getenv("TRUSTLENS_TEST_BROKER_PREFIX"); prefix != "" {
		br, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", TopicPrefix: prefix, Partitions: 4})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(br.Addr())
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		<-sig
		br.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startBrokerProcess runs the embedded broker in a process of its own, so
// that its memory and garbage collection do not weigh on what is measured.
func startBrokerProcess(t testing.TB) (addr, prefix string) {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	prefix = "t" + hex.EncodeToString(b[:]) + "."
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TRUSTLENS_TEST_BROKER_PREFIX="+prefix)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("broker process: %v", err)
	}
	return strings.TrimSpace(line), prefix
}
