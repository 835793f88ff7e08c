package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// settings is a command's flags, each of which can also come from a
// TRUSTLENS_* environment variable (the flag wins when both are given).
type settings struct {
	fs      *flag.FlagSet
	e       env
	name    string
	summary string
	vars    []setting
	checks  []func() error
}

type setting struct {
	flag, env, help, def string
}

func newSettings(name, summary string, e env) *settings {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &settings{fs: fs, e: e, name: name, summary: summary}
}

// envValue is the environment's value for a setting, or def.
func (s *settings) envValue(envName, def string) string {
	if envName != "" {
		if v := s.e.getenv(envName); v != "" {
			return v
		}
	}
	return def
}

func (s *settings) add(flagName, envName, def, help string) {
	s.vars = append(s.vars, setting{flag: flagName, env: envName, help: help, def: def})
}

// String registers a string setting.
func (s *settings) String(flagName, envName, def, help string) *string {
	s.add(flagName, envName, def, help)
	return s.fs.String(flagName, s.envValue(envName, def), help)
}

// Bool registers a boolean setting.
func (s *settings) Bool(flagName, envName string, def bool, help string) *bool {
	s.add(flagName, envName, strconv.FormatBool(def), help)
	v := new(bool)
	*v = def
	if raw := s.envValue(envName, ""); raw != "" {
		b, err := strconv.ParseBool(raw)
		if err != nil {
			s.checks = append(s.checks, func() error { return fmt.Errorf("%s: not true or false: %q", envName, raw) })
		} else {
			*v = b
		}
	}
	s.fs.BoolVar(v, flagName, *v, help)
	return v
}

// Int registers an integer setting with inclusive bounds.
func (s *settings) Int(flagName, envName string, def, min, max int, help string) *int {
	s.add(flagName, envName, strconv.Itoa(def), help)
	v := new(int)
	*v = def
	if raw := s.envValue(envName, ""); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			s.checks = append(s.checks, func() error { return fmt.Errorf("%s: not a whole number: %q", envName, raw) })
		} else {
			*v = n
		}
	}
	s.fs.IntVar(v, flagName, *v, help)
	s.checks = append(s.checks, func() error {
		if *v < min || *v > max {
			return fmt.Errorf("%s: must be between %d and %d, got %d", s.label(flagName, envName), min, max, *v)
		}
		return nil
	})
	return v
}

// Duration registers a duration setting ("500ms", "30s") with bounds.
func (s *settings) Duration(flagName, envName string, def, min, max time.Duration, help string) *time.Duration {
	s.add(flagName, envName, def.String(), help)
	v := new(time.Duration)
	*v = def
	if raw := s.envValue(envName, ""); raw != "" {
		d, err := time.ParseDuration(raw)
		if err != nil {
			s.checks = append(s.checks, func() error { return fmt.Errorf("%s: not a duration such as 500ms or 30s: %q", envName, raw) })
		} else {
			*v = d
		}
	}
	s.fs.DurationVar(v, flagName, *v, help)
	s.checks = append(s.checks, func() error {
		if *v < min || *v > max {
			return fmt.Errorf("%s: must be between %s and %s, got %s", s.label(flagName, envName), min, max, *v)
		}
		return nil
	})
	return v
}

// Check adds a validation run after parsing.
func (s *settings) Check(fn func() error) { s.checks = append(s.checks, fn) }

// label names a setting in an error: "--flag / ENV".
func (s *settings) label(flagName, envName string) string {
	if envName == "" {
		return "--" + flagName
	}
	return "--" + flagName + " / " + envName
}

func (s *settings) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: trustlens %s [flags]\n\n%s\n\nFlags:\n", s.name, s.summary)
	for _, v := range s.vars {
		def := v.def
		if def == "" {
			def = `""`
		}
		env := ""
		if v.env != "" {
			env = " (env " + v.env + ")"
		}
		fmt.Fprintf(w, "  --%s%s\n      %s (default %s)\n", v.flag, env, v.help, def)
	}
}

// parse reads args; on --help it prints the usage and returns errHelp.
func (s *settings) parse(args []string) error {
	if err := s.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			s.usage(s.e.stdout)
			return errHelp
		}
		return fmt.Errorf("%s: %w (see 'trustlens %s --help')", s.name, err, s.name)
	}
	if s.fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q (see 'trustlens %s --help')", s.name, s.fs.Arg(0), s.name)
	}
	for _, c := range s.checks {
		if err := c(); err != nil {
			return err
		}
	}
	return nil
}

// hostPort checks a host:port setting.
func (s *settings) hostPort(v *string, flagName, envName string, allowEmpty bool) {
	s.Check(func() error {
		if *v == "" && allowEmpty {
			return nil
		}
		for _, a := range strings.Split(*v, ",") {
			host, port, err := net.SplitHostPort(strings.TrimSpace(a))
			n, perr := strconv.Atoi(port)
			if err != nil || perr != nil || n < 0 || n > 65535 || (host == "" && !strings.HasPrefix(a, ":")) {
				return fmt.Errorf("%s: not a host:port address: %q", s.label(flagName, envName), *v)
			}
		}
		return nil
	})
}

// logging is the slog configuration shared by every command.
type logging struct{ level, format *string }

func (s *settings) logging() logging {
	l := logging{
		level:  s.String("log-level", "TRUSTLENS_LOG_LEVEL", "info", "log level: debug, info, warn or error"),
		format: s.String("log-format", "TRUSTLENS_LOG_FORMAT", "text", "log format: text or json"),
	}
	s.Check(func() error {
		switch *l.level {
		case "debug", "info", "warn", "error":
		default:
			return fmt.Errorf("--log-level / TRUSTLENS_LOG_LEVEL: must be debug, info, warn or error, got %q", *l.level)
		}
		if *l.format != "text" && *l.format != "json" {
			return fmt.Errorf("--log-format / TRUSTLENS_LOG_FORMAT: must be text or json, got %q", *l.format)
		}
		return nil
	})
	return l
}

// logger builds the one slog.Logger of the process.
func (l logging) logger(w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(*l.level))
	opts := &slog.HandlerOptions{Level: lvl}
	if *l.format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// kafkaSettings are the Kafka settings shared by run, ingest, produce, simulate and broker.
type kafkaSettings struct {
	brokers, embeddedAddr, prefix *string
}

func (s *settings) kafka() kafkaSettings {
	k := kafkaSettings{
		brokers:      s.String("kafka-brokers", "TRUSTLENS_KAFKA_BROKERS", "", "comma-separated Kafka brokers (empty = the embedded broker)"),
		embeddedAddr: s.String("embedded-kafka-addr", "TRUSTLENS_EMBEDDED_KAFKA_ADDR", "127.0.0.1:9092", "address of the embedded Kafka-protocol broker"),
		prefix:       s.String("topic-prefix", "TRUSTLENS_TOPIC_PREFIX", "trustlens.", "prefix of the topic names"),
	}
	s.hostPort(k.brokers, "kafka-brokers", "TRUSTLENS_KAFKA_BROKERS", true)
	s.hostPort(k.embeddedAddr, "embedded-kafka-addr", "TRUSTLENS_EMBEDDED_KAFKA_ADDR", false)
	s.Check(func() error {
		if strings.ContainsAny(*k.prefix, " /\\,:") || len(*k.prefix) > 100 {
			return fmt.Errorf("--topic-prefix / TRUSTLENS_TOPIC_PREFIX: not usable in a topic name: %q", *k.prefix)
		}
		return nil
	})
	return k
}

// brokerList is the configured brokers, or the embedded address.
func (k kafkaSettings) brokerList() []string {
	if *k.brokers == "" {
		return []string{*k.embeddedAddr}
	}
	var out []string
	for _, b := range strings.Split(*k.brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}
