package analytics

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

// randomRows are n incidents with random figures, sorted as a snapshot's
// rows are: some open, some resolved long ago, some recently.
func randomRows(s *Store, rng *rand.Rand, n int, now int64) []*preRow {
	sevs := append(slices.Clone(trustlens.Severities), "sev9")
	chans := []string{"email", "status_page", "social"}
	rows := make([]*preRow, n)
	for i := range rows {
		det := now - int64(rng.IntN(400*86400))
		r := &preRow{id: "inc-" + string(rune('a'+i%26)) + time.Unix(det, 0).Format("150405") + string(rune('0'+i%10)), sev: sevs[rng.IntN(len(sevs))], title: "t", det: det}
		r.isRes = rng.IntN(5) != 0
		if r.isRes {
			r.resTS = det + int64(rng.IntN(20*3600))
			if r.resTS > now {
				r.resTS = now
			}
			r.gapsRes = []int64{int64(rng.IntN(7200)), int64(rng.IntN(7200))}
		}
		r.hasC = rng.IntN(4) != 0
		if r.hasC {
			r.ttaN = int64(rng.IntN(5000))
			r.ptsIn = []int64{det + r.ttaN, det + r.ttaN + int64(rng.IntN(3600))}
			r.lastN = r.ptsIn[1]
		}
		r.updates = int64(rng.IntN(8))
		r.chans = chans[:rng.IntN(len(chans)+1)]
		r.resp, r.apol, r.hasPM = rng.IntN(2) == 0, rng.IntN(2) == 0, rng.IntN(3) == 0
		if r.hasPM {
			r.pmAt = r.resTS + int64(rng.IntN(10*86400))
		}
		r.affN = int64(rng.IntN(50))
		r.affOffN = r.affN / 2
		r.offN, r.redN = int64(rng.IntN(10)), int64(rng.IntN(5))
		r.offAmt, r.redAmt = float64(rng.IntN(100000))/100, float64(rng.IntN(50000))/100
		r.followedUp = int64(rng.IntN(int(r.affN) + 1))
		r.aa, r.ca, r.ab, r.cb = int64(rng.IntN(40)), int64(rng.IntN(5)), int64(rng.IntN(400)), int64(rng.IntN(20))
		r.promMade = int64(rng.IntN(4))
		r.kept = int64(rng.IntN(int(r.promMade) + 1))
		if r.promMade > r.kept {
			r.unkept = []int64{det + int64(rng.IntN(40*86400))}
		}
		s.prepare(r)
		rows[i] = r
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].det != rows[j].det {
			return rows[i].det < rows[j].det
		}
		return rows[i].id < rows[j].id
	})
	return rows
}

// turnInstants adds to nows, until it holds n, the instants at which
// random resolved rows' figures turn and the second after, as the policy
// says (independently of figureEdges).
func turnInstants(p *trustlens.Policy, snap *snapshot, rng *rand.Rand, nows []int64, n int) []int64 {
	for len(nows) < n {
		r := snap.rows[rng.IntN(len(snap.rows))]
		if !r.isRes {
			continue
		}
		for _, days := range []int{p.ChurnWindowDays, p.PostmortemDays, p.FollowupDays} {
			t := r.resTS + int64(days)*86400
			nows = append(nows, t, t+1)
		}
		for _, d := range r.unkept {
			nows = append(nows, d, d+1)
		}
	}
	return nows
}

// testSnapshot is a Store whose postmortem and follow-up windows end
// apart, and a snapshot of n random rows as of load.
func testSnapshot(seedA, seedB uint64, n int) (*Store, *rand.Rand, int64, *snapshot) {
	s := &Store{policy: trustlens.DefaultPolicy()}
	s.policy.PostmortemDays, s.policy.FollowupDays = 5, 3
	rng := rand.New(rand.NewPCG(seedA, seedB))
	load := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC).Unix()
	return s, rng, load, &snapshot{rows: randomRows(s, rng, n, load)}
}

// TestBlocksMatchRows checks the block sums against adding up every row,
// over random ranges and filters, at instants after the snapshot was
// loaded and before it (where the blocks' sums do not hold).
func TestBlocksMatchRows(t *testing.T) {
	s, rng, load, snap := testSnapshot(7, 11, 5000)
	s.buildBlocks(snap, load)
	summed := 0
	for i := range snap.blocks {
		for _, a := range snap.blocks[i].sums.Load().slots {
			if a != nil {
				summed += int(a.incidents)
			}
		}
	}
	if summed < 3000 || len(snap.blocks) != 5000/blockRows {
		t.Fatalf("%d blocks summing %d rows: the test does not exercise them", len(snap.blocks), summed)
	}
	sevs := append([]string{"", "sev9"}, trustlens.Severities...)
	// instants around the load, far from it, and on either side of
	// figures' turns (the blocks' sums are summed again past them)
	nows := turnInstants(&s.policy, snap, rng, []int64{load, load + 1, load + 90*86400, load - 30*86400, load - 400*86400}, 80)
	for i := 0; i < 600; i++ {
		var f trustlens.Filter
		if rng.IntN(4) != 0 {
			f.From = time.Unix(load-int64(rng.IntN(420*86400)), 0)
		}
		if rng.IntN(4) != 0 {
			f.To = time.Unix(load-int64(rng.IntN(420*86400)), 0)
		}
		if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
			f.From, f.To = f.To, f.From
		}
		f.Severity = sevs[rng.IntN(len(sevs))]
		f.Status = []string{"", "open", "resolved"}[rng.IntN(3)]
		now := nows[i%len(nows)]
		values := i%2 == 0

		want := &acc{values: values}
		for _, r := range snap.selectRows(f) {
			fig := figuresAt(&s.policy, r, now)
			want.add(r, &fig)
		}
		sel := snap.selectionOf(f)
		got := combine(s.aggregate(snap, sel, now, values), sel.mask)
		if !reflect.DeepEqual(got.row(), want.row()) {
			t.Fatalf("filter %+v at %d: blocks give\n%v\nrows give\n%v", f, now, got.row(), want.row())
		}
	}
}

func TestQuantileParts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		var all []int64
		var parts [][]int64
		for p := rng.IntN(5); p > 0; p-- {
			part := make([]int64, rng.IntN(20))
			for j := range part {
				part[j] = int64(rng.IntN(50)) - 10
			}
			slices.Sort(part)
			parts = append(parts, part)
			all = append(all, part...)
		}
		xs := make([]int64, rng.IntN(10))
		for j := range xs {
			xs[j] = int64(rng.IntN(50)) - 10
		}
		all = append(all, xs...)
		for _, q := range []float64{0, 0.5, 0.9, 1} {
			want := quantileExact(slices.Clone(all), q)
			if got := quantileParts(slices.Clone(xs), parts, q); got != want {
				t.Fatalf("q %v of %v + %v: got %d, want %d", q, parts, xs, got, want)
			}
		}
	}
}

// TestKeptAnswersMatchIncident checks the API forms kept with the blocks'
// sums against building them at each instant: before, at and after the
// load, and on either side of incidents' turns.
func TestKeptAnswersMatchIncident(t *testing.T) {
	s, rng, load, snap := testSnapshot(5, 9, 2000)
	// loaded at the very instant an incident's churn window ends
	for _, r := range snap.rows {
		if r.isRes && r.resTS+int64(s.policy.ChurnWindowDays)*86400 < load {
			load = r.resTS + int64(s.policy.ChurnWindowDays)*86400
			break
		}
	}
	s.buildBlocks(snap, load)
	nows := turnInstants(&s.policy, snap, rng, []int64{load, load + 1, load - 1, load + 90*86400, load - 400*86400}, 60)
	reused := 0
	for _, now := range nows {
		for i, r := range snap.rows {
			if b := i / blockRows; r.isRes && b < len(snap.blocks) {
				if bs := snap.blocks[b].sums.Load(); bs.at != now && now >= bs.from && now <= bs.until {
					reused++ // answered from sums taken at another instant
				}
			}
			f := figuresAt(&s.policy, r, now)
			want := buildIncident(r, &f)
			if got := s.incidentOf(snap, r, now); !reflect.DeepEqual(got, want) {
				t.Fatalf("row %d at %d (load %d): kept %+v, built %+v", i, now, load, got, want)
			}
		}
	}
	if reused < len(nows)*len(snap.rows)/10 {
		t.Fatalf("kept answers were reused %d times of %d: the test does not exercise them", reused, len(nows)*len(snap.rows))
	}
}

// TestSpreadMatchesIncidents checks the spread from the blocks' sums
// against counting the incidents' answers one by one.
func TestSpreadMatchesIncidents(t *testing.T) {
	s, rng, load, snap := testSnapshot(13, 17, 3000)
	s.buildBlocks(snap, load)
	nows := turnInstants(&s.policy, snap, rng, []int64{load, load + 86400, load - 86400}, 30)
	bounds := []int64{0, 450, 900, 1800, 3600, 7200, 14400}
	sevs := append([]string{"", "sev9"}, trustlens.Severities...)
	for i := 0; i < 200; i++ {
		var f trustlens.Filter
		if rng.IntN(3) != 0 {
			f.From = time.Unix(load-int64(rng.IntN(420*86400)), 0)
			f.To = f.From.Add(time.Duration(1+rng.IntN(200)) * 24 * time.Hour)
		}
		f.Severity = sevs[rng.IntN(len(sevs))]
		f.Status = []string{"", "open", "resolved"}[rng.IntN(3)]
		now := nows[i%len(nows)]
		var incs []trustlens.Incident
		for _, r := range snap.selectRows(f) {
			fig := figuresAt(&s.policy, r, now)
			incs = append(incs, buildIncident(r, &fig))
		}
		want := trustlens.SpreadOf(incs, bounds)
		if got := s.spreadOf(snap, f, now, bounds); !reflect.DeepEqual(got, want) {
			t.Fatalf("filter %+v at %d:\n got %+v\nwant %+v", f, now, got, want)
		}
	}
}
