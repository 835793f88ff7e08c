package main

import "testing"

func TestRewriteSelect(t *testing.T) {
	cols := engineColumns("p.customer-responses")
	for _, tc := range []struct{ name, in, want string }{
		{
			name: "result columns keep their names",
			in:   "SELECT incident_id, occurred_at, amount, ingested_at, kafka_topic, kafka_partition, kafka_offset FROM d.kafka_queue WHERE incident_id != ''",
			want: "SELECT incident_id, parseDateTimeBestEffort(occurred_at) AS occurred_at, amount, now() AS ingested_at, 'p.customer-responses' AS kafka_topic, toInt32(0) AS kafka_partition, toInt64(0) AS kafka_offset FROM d.kafka_queue WHERE incident_id != ''",
		},
		{
			name: "inside an expression, no name",
			in:   "SELECT customer_id, minState(if(type = 'customer.signed_up', toInt64(occurred_at), toInt64(253402300799))) AS su_s FROM d.kafka_queue",
			want: "SELECT customer_id, minState(if(type = 'customer.signed_up', toInt64(parseDateTimeBestEffort(occurred_at)), toInt64(253402300799))) AS su_s FROM d.kafka_queue",
		},
		{
			name: "first and last column",
			in:   "SELECT extra, occurred_at FROM d.kafka_queue",
			want: "SELECT '{}' AS extra, parseDateTimeBestEffort(occurred_at) AS occurred_at FROM d.kafka_queue",
		},
		{
			name: "longer names are left alone",
			in:   "SELECT occurred_at_x, extra_fields FROM d.kafka_queue",
			want: "SELECT occurred_at_x, extra_fields FROM d.kafka_queue",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := rewriteSelect(tc.in, cols); got != tc.want {
				t.Errorf("rewriteSelect:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}
