// Package broker runs the embedded Kafka-protocol broker (franz-go's kfake)
// that `trustlens run` and `trustlens broker` use when no real Kafka is
// configured, and that the tests use. Any Kafka client (kafka-go, kcat,
// ClickHouse's Kafka engine) can talk to it.
package broker

import (
	"fmt"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/trustlens/trustlens"
)

// Config says where and how the broker runs.
type Config struct {
	Addr        string // host:port to listen on; port 0 picks a free one
	TopicPrefix string // e.g. "trustlens."
	Partitions  int    // partitions of each seeded and auto-created topic (default 4)
	DataDir     string // persist to this directory ("" = in memory)
}

// Broker is a running embedded broker.
type Broker struct {
	cluster *kfake.Cluster
	addr    string
}

// Topics lists the topics created up front: the three event topics and the
// dead-letter topic.
func Topics(prefix string) []string {
	out := make([]string, 0, 4)
	for _, s := range trustlens.Streams {
		out = append(out, prefix+string(s))
	}
	return append(out, prefix+string(trustlens.DeadLetter))
}

// Start starts a one-node broker. Close it when done.
func Start(cfg Config) (*Broker, error) {
	host, portStr, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("broker: address %q: %w", cfg.Addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("broker: address %q: bad port", cfg.Addr)
	}
	parts := cfg.Partitions
	if parts <= 0 {
		parts = 4
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
		}),
		kfake.ClusterID("trustlens"),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(parts),
		kfake.SeedTopics(int32(parts), Topics(cfg.TopicPrefix)...),
	}
	if cfg.DataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.DataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("broker: listen on %s: %w", cfg.Addr, err)
	}
	addrs := c.ListenAddrs()
	if len(addrs) == 0 {
		c.Close()
		return nil, fmt.Errorf("broker: no listener on %s", cfg.Addr)
	}
	return &Broker{cluster: c, addr: addrs[0]}, nil
}

// Addr is the address clients connect to.
func (b *Broker) Addr() string { return b.addr }

// Close stops the broker.
func (b *Broker) Close() { b.cluster.Close() }
