package ingest

import "testing"

func TestRawBuffers(t *testing.T) {
	var p rawBuffers
	if b := p.get(10); b != nil {
		t.Fatalf("empty: got a buffer of cap %d", cap(b))
	}
	p.put(make([]byte, 5, 100))
	p.put(make([]byte, 0, 1000))
	p.put(nil) // ignored
	if b := p.get(500); cap(b) != 1000 || len(b) != 0 {
		t.Fatalf("get(500): len %d cap %d, want the empty buffer of cap 1000", len(b), cap(b))
	}
	if b := p.get(500); b != nil {
		t.Fatalf("get(500) again: got cap %d, want none (only cap 100 is left)", cap(b))
	}
	if b := p.get(100); cap(b) != 100 || len(b) != 0 {
		t.Fatalf("get(100): len %d cap %d", len(b), cap(b))
	}
	if p.bytes != 0 || len(p.free) != 0 {
		t.Fatalf("after taking all: %d bytes in %d buffers", p.bytes, len(p.free))
	}
	p.put(make([]byte, 0, maxFreeRawBytes))
	p.put(make([]byte, 0, 1)) // over the bound: dropped
	if p.bytes != maxFreeRawBytes || len(p.free) != 1 {
		t.Fatalf("bound: %d bytes in %d buffers, want %d in 1", p.bytes, len(p.free), maxFreeRawBytes)
	}
}
