package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/trustlens/trustlens"
)

// habit indexes the seven habits of SPEC §2.2 in their order.
type habit int

const (
	habitSwift habit = iota
	habitResponsibility
	habitProactive
	habitApology
	habitCompensate
	habitLearn
	habitFollowUp
	habitCount
)

// incidentTrace is what planIncident decided, for the package's own tests.
type incidentTrace struct {
	id       string
	sev      string
	met      [habitCount]bool
	res      int64
	affected []string
	// silentS and updatedS are the seconds of [detection, resolution]
	// past and within the cadence target; drop the configured csat drop
	// of its survey answers.
	silentS, updatedS int64
	drop              float64
	answers           []surveyAnswer
}

// forcedIncident is an incident placed at the start of live mode so that
// the dashboard has something in progress (and overdue) at once.
type forcedIncident struct {
	sev      string
	title    string
	region   string
	before   float64   // detected this many minutes before live starts
	dur      float64   // minutes until resolution
	points   []float64 // minutes after detection of the acknowledgement and updates (nil: planned as usual)
	channels []string  // with points
	habits   map[habit]bool
	promise  bool // promise the next update at every point
}

var forcedIncidents = []forcedIncident{
	{
		// A sev1 that went quiet: overdue for an update (target 60 min)
		// from 10 minutes before live starts until 30 minutes after.
		sev: "sev1", title: "Checkout API failing in us-east", region: "us-east", before: 100, dur: 165,
		points: []float64{8, 22, 30, 130}, channels: []string{"status_page", "email"},
		habits:  map[habit]bool{habitSwift: true, habitProactive: false, habitApology: true},
		promise: true,
	},
	{
		// A well-handled sev3, acknowledged a few minutes before live
		// starts and updated every half hour on three channels.
		sev: "sev3", title: "Delayed webhook deliveries in eu-west", region: "eu-west", before: 12, dur: 150,
		points: []float64{4, 30, 60, 90, 120}, channels: []string{"status_page", "email", "social"},
		habits: map[habit]bool{habitSwift: true, habitProactive: true, habitApology: true},
	},
}

// cadenceTarget is the severity's update cadence target in seconds.
func cadenceTarget(sev string) int64 {
	return trustlens.DefaultPolicy().CadenceTarget[sev].Seconds()
}

var otherChannels = []string{"email", "social", "website", "in_app", "sms"}

// planIncident decides everything about one incident detected at det and
// queues its events: detection, status changes, affected customers,
// communications, resolution, postmortem, compensation, follow-ups,
// tickets, survey answers (react) and the churn it causes.
func (s *sim) planIncident(det int64, sev severityModel, f *forcedIncident) {
	s.incidents++
	n := s.incidents
	r := rand.New(rand.NewPCG(s.seed, mix(uint64(n)))) // one stream per incident
	id := fmt.Sprintf("inc-%s-%04d", s.tag, n)

	// How much the company cares this time, and which habits it keeps.
	care := clamp(s.careAt(det)+sev.care+r.NormFloat64()*careNoise, 0, 1)
	comp := sev.name == "sev1" || sev.name == "sev2"
	var met [habitCount]bool
	for h := range met {
		met[h] = chance(r, clamp(0.5+careWeight*(care-0.5)+habitOffset[h], 0.03, 0.97))
	}
	if f != nil {
		for h, v := range f.habits {
			met[h] = v
		}
	}
	applicable, missed := 0, 0
	for h := habit(0); h < habitCount; h++ {
		if h == habitCompensate && !comp {
			continue
		}
		applicable++
		if !met[h] {
			missed++
		}
	}
	missedShare := float64(missed) / float64(applicable)

	// What broke, where, for how long.
	svc := pick(r, services)
	hit := []string{weightedRegion(r)}
	for len(hit) < sev.regions && chance(r, 0.5) {
		g := weightedRegion(r)
		if !contains(hit, g) {
			hit = append(hit, g)
		}
	}
	title := fmt.Sprintf(pick(r, titles), svc) + " in " + strings.Join(hit, ", ")
	source := "monitoring"
	if chance(r, 0.2) {
		source = "customer_report"
	}
	dur := minutes(clamp(math.Exp(math.Log(sev.durMedian)+sev.durSigma*r.NormFloat64()), sev.durMin, sev.durMax))
	if f != nil {
		title, dur, hit = f.title, minutes(f.dur), []string{f.region}
	}

	// Acknowledgement, update points and channels.
	target := cadenceTarget(sev.name)
	pts, chans := planUpdates(r, met[habitSwift], met[habitProactive], target, &dur)
	if f != nil && f.points != nil {
		pts = pts[:0]
		for _, m := range f.points {
			pts = append(pts, minutes(m))
		}
		chans = f.channels
	}
	res := det + dur

	s.event(det, &wire{Type: trustlens.TypeIncidentDetected, IncidentID: id, Severity: sev.name, Title: title,
		Services: []string{svc}, Regions: hit, Source: source})
	s.event(det+min(r.Int64N(601), dur/5), &wire{Type: trustlens.TypeIncidentStatusChanged, IncidentID: id, Status: "investigating"})
	s.event(det+int64(float64(dur)*uniform(r, 0.3, 0.5)), &wire{Type: trustlens.TypeIncidentStatusChanged, IncidentID: id, Status: "identified"})
	if sev.name != "sev4" || chance(r, 0.5) {
		s.event(det+int64(float64(dur)*uniform(r, 0.65, 0.9)), &wire{Type: trustlens.TypeIncidentStatusChanged, IncidentID: id, Status: "monitoring"})
	}
	s.event(res, &wire{Type: trustlens.TypeIncidentResolved, IncidentID: id})

	// Who is hit: active customers of the hit regions.
	blast := uniform(r, sev.blastMin, sev.blastMax)
	var affected, cands []*customer
	for _, c := range s.customers {
		if c.churned || !contains(hit, c.region) {
			continue
		}
		cands = append(cands, c)
		if chance(r, blast) {
			affected = append(affected, c)
		}
	}
	if len(affected) == 0 && len(cands) > 0 {
		affected = append(affected, pick(r, cands))
	}
	nAff := len(affected)
	for _, c := range affected {
		mrr := c.mrr
		s.event(det+r.Int64N(min(dur, minutes(45))+1), &wire{Type: trustlens.TypeIncidentCustomerAffected,
			IncidentID: id, CustomerID: c.id, Segment: c.seg.name, MRR: &mrr})
	}

	// Communications during the incident.
	recipients := nAff
	resComm := res + r.Int64N(241)
	ackApology := met[habitApology] && chance(r, 0.5)
	respAt := -1
	if met[habitResponsibility] && len(pts) > 1 && chance(r, 0.5) {
		respAt = 1 + r.IntN(len(pts)-1)
	}
	pPromise, pKeep := 0.3+0.5*care, 0.55+0.4*care
	for i, p := range pts {
		at := det + p
		next := resComm
		if i+1 < len(pts) {
			next = det + pts[i+1]
		}
		promise := ""
		if (f != nil && f.promise) || chance(r, pPromise) {
			gap := next - at
			keep := chance(r, pKeep) && gap <= target // a long silence breaks its promise
			if f != nil && f.promise {
				keep = gap <= target
			}
			if gap < 1800 {
				keep = true // too short a gap to promise anything earlier
			}
			pt := roundUp(next, 300)
			if !keep {
				pt = roundUp(at+int64(float64(gap)*uniform(r, 0.35, 0.7)), 60)
			}
			promise = unixRFC3339(pt)
		}
		kind, body := "update", pick(r, updateBodies)
		if i == 0 {
			kind, body = "acknowledgement", "We are investigating: "+lowerFirst(title)+"."
		}
		if promise != "" {
			body += " Next update by " + promise + "."
		}
		for _, ch := range chans {
			s.event(at, comm(id, ch, kind, body, &recipients, promise, i == 0 && ackApology, i == respAt, false, false))
		}
	}
	resBody := "The issue is resolved: " + lowerFirst(title) + "."
	if met[habitApology] {
		resBody += " We are sorry for the disruption this caused you."
	}
	if met[habitResponsibility] {
		resBody += " This was caused by a change we made, and we take full responsibility."
	}
	for _, ch := range chans {
		s.event(resComm, comm(id, ch, "resolution", resBody, &recipients, "", met[habitApology], met[habitResponsibility], false, false))
	}

	// Learn: a postmortem, on time, late, incomplete or never.
	pmAt, prevention := int64(-1), true
	if met[habitLearn] {
		pmAt = res + days(uniform(r, 1, 6.5))
	} else {
		switch x := r.Float64(); {
		case x < 0.45: // none
		case x < 0.8:
			pmAt = res + days(uniform(r, 8.5, 21))
		default:
			pmAt = res + days(uniform(r, 1, 6.5))
			prevention = false
		}
	}
	if pmAt > 0 {
		body := "Postmortem: " + lowerFirst(title) + ". Root cause: " + pick(r, rootCauses) + "."
		if prevention {
			body += " What we are changing: " + pick(r, preventions) + "."
		}
		pmChans := chans
		if len(pmChans) > 2 {
			pmChans = pmChans[:2]
		}
		for _, ch := range pmChans {
			s.event(pmAt, comm(id, ch, "postmortem", body, &recipients, "", met[habitApology], met[habitResponsibility], true, prevention))
		}
	}

	// Who gets attention first: the biggest accounts, roughly.
	order := make([]*customer, nAff)
	copy(order, affected)
	prio := make(map[*customer]float64, nAff)
	for _, c := range affected {
		prio[c] = c.mrr * uniform(r, 0.5, 1.5)
	}
	sort.SliceStable(order, func(i, j int) bool { return prio[order[i]] > prio[order[j]] })

	// Compensate.
	offered := map[*customer]bool{}
	redeemed := map[*customer]bool{}
	var offerTo []*customer
	switch {
	case comp && met[habitCompensate]:
		offerTo = order[:int(math.Ceil(uniform(r, 0.6, 1.0)*float64(nAff)))]
	case comp && chance(r, 0.4):
		offerTo = order[:int(math.Floor(uniform(r, 0.1, 0.4)*float64(nAff)))]
	case sev.name == "sev3" && chance(r, 0.15):
		for _, c := range order {
			if c.seg.name == "enterprise" {
				offerTo = append(offerTo, c)
			}
		}
	}
	for _, c := range offerTo {
		at := res + hours(uniform(r, 2, 72))
		typ := c.seg.compType
		if chance(r, 0.2) {
			typ = pick(r, trustlens.CompensationTypes)
		}
		var amount float64
		switch typ {
		case "credit":
			amount = c.mrr * uniform(r, 0.05, 0.3)
		case "discount":
			amount = c.mrr * uniform(r, 0.1, 0.25)
		default:
			amount = c.mrr * float64(pick(r, []int{7, 14, 30})) / 30
		}
		amount = cents(amount)
		offered[c] = true
		s.event(at, &wire{Type: trustlens.TypeCompensationOffered, CustomerID: c.id, IncidentID: id,
			CompensationType: typ, Amount: &amount, Currency: "USD"})
		if chance(r, clamp(c.seg.redeemRate*(0.7+0.6*care), 0, 1)) {
			redeemed[c] = true
			a := amount
			s.guarded(at+days(uniform(r, 1, 25)), c, &wire{Type: trustlens.TypeCompensationRedeemed, CustomerID: c.id, IncidentID: id, Amount: &a})
		}
	}

	// Follow up.
	nFollow, late := 0, false
	switch x := r.Float64(); {
	case met[habitFollowUp]:
		nFollow = int(math.Ceil(uniform(r, 0.6, 1.0) * float64(nAff)))
	case x < 0.55: // nobody
	case x < 0.85:
		nFollow = int(math.Floor(uniform(r, 0.05, 0.4) * float64(nAff)))
	default:
		nFollow, late = int(math.Ceil(uniform(r, 0.6, 1.0)*float64(nAff))), true
	}
	followed := map[*customer]bool{}
	for _, c := range order[:nFollow] {
		at := res + hours(uniform(r, 1, 156))
		if late {
			at = res + days(uniform(r, 8, 16))
		} else {
			followed[c] = true
		}
		s.event(at, &wire{Type: trustlens.TypeCustomerFollowedUp, CustomerID: c.id, IncidentID: id, Channel: pick(r, c.seg.followUp)})
	}

	// Tickets during the incident and survey answers after it, from a
	// stream of their own so that they do not shift the churn draws.
	rc := rand.New(rand.NewPCG(s.seed^0x7469636b657473, mix(uint64(n)))) // "tickets"
	drop := csatDropOf(sev, met)
	silentS, updatedS, answers := s.react(rc, id, det, dur, target, pts, affected, drop)

	if s.trace != nil {
		ids := make([]string, nAff)
		for i, c := range affected {
			ids[i] = c.id
		}
		s.trace(incidentTrace{id: id, sev: sev.name, met: met, res: res, affected: ids,
			silentS: silentS, updatedS: updatedS, drop: drop, answers: answers})
	}

	// Churn of each affected customer.
	behaviour := behaviourBest + behaviourSpan*missedShare
	for _, c := range affected {
		p := sev.churnRisk * c.seg.churnFactor * behaviour
		if followed[c] {
			p *= followedFactor
		}
		if redeemed[c] {
			p *= redeemedFactor
		} else if offered[c] {
			p *= offeredFactor
		}
		if chance(r, p) {
			at := res + days(1) + r.Int64N(days(outageChurnDays-1))
			if at < c.churnAt {
				c.churnAt, c.churnReason = at, pick(r, outageReasons)
				s.push(&entry{at: at, kind: kChurn, cust: c})
			}
		}
	}
}

// planUpdates picks the acknowledgement delay, the update points (seconds
// after detection, acknowledgement first) and the channels so that
// act_swiftly and communicate_proactively come out as intended. It may
// lengthen *dur so that the acknowledgement comes before the resolution.
func planUpdates(r *rand.Rand, swift, proactive bool, target int64, dur *int64) ([]int64, []string) {
	T := float64(target)
	var ack float64
	if swift {
		ack = uniform(r, 2, 25) * 60
	} else {
		ack = uniform(r, 35, 150) * 60
	}
	if proactive && ack > 0.85*T {
		ack = uniform(r, math.Max(35*60, 0.5*T), 0.85*T)
	}
	if *dur < int64(ack)+minutes(10) {
		*dur = int64(ack) + minutes(10)
	}
	broken := false
	var chans []string
	switch {
	case proactive:
		chans = someChannels(r, 2+r.IntN(3))
	case float64(*dur) > 1.4*T && chance(r, 0.8):
		broken = true
		chans = someChannels(r, 1+r.IntN(3))
	default:
		chans = someChannels(r, 1)
	}
	// Most teams post every half hour or so whatever the target; the
	// target only bounds the interval.
	interval := uniform(r, 0.45, 0.8) * T
	if chance(r, 0.7) {
		interval = math.Min(interval, uniform(r, 20, 90)*60)
	}
	longAt := -1
	if broken {
		longAt = r.IntN(3)
	}
	pts := []int64{int64(ack)}
	cur := ack
	for i := 0; ; i++ {
		g := math.Min(interval*uniform(r, 0.85, 1.15), 0.9*T)
		if i == longAt {
			g = uniform(r, 1.3, 3) * T
		}
		next := cur + g
		if next >= float64(*dur-120) {
			break
		}
		pts = append(pts, int64(next))
		cur = next
	}
	if broken && maxGap(pts, *dur) <= target {
		chans = chans[:1] // the long silence did not fit: one channel misses instead
	}
	return pts, chans
}

// someChannels is k channels; with more than one the status page leads.
func someChannels(r *rand.Rand, k int) []string {
	if k == 1 {
		if chance(r, 0.7) {
			return []string{"status_page"}
		}
		return []string{"email"}
	}
	others := append([]string(nil), otherChannels...)
	r.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
	return append([]string{"status_page"}, others[:k-1]...)
}

// maxGap is the longest silence of SPEC §2.1 over [0, pts…, dur].
func maxGap(pts []int64, dur int64) int64 {
	var longest, prev int64
	for _, p := range append(append([]int64(nil), pts...), dur) {
		if p > dur {
			p = dur
		}
		if p-prev > longest {
			longest = p - prev
		}
		if p > prev {
			prev = p
		}
	}
	return longest
}

func comm(id, ch, kind, body string, recipients *int, promise string, apology, responsibility, rootCause, prevention bool) *wire {
	w := &wire{Type: trustlens.TypeCommunicationSent, IncidentID: id, Channel: ch, Kind: kind, Body: body,
		NextUpdateAt: promise, Apology: apology, TakesResponsibility: responsibility, RootCause: rootCause, PreventionSteps: prevention}
	switch ch {
	case "email", "sms", "in_app":
		w.Audience, w.Recipients = "affected", recipients
	default:
		w.Audience = "public"
	}
	return w
}

var updateBodies = []string{
	"We have identified the cause and are working on a fix.",
	"A fix is being rolled out; error rates are falling.",
	"We are still working on this and will keep you posted.",
	"Mitigation is in place for most customers; we are monitoring.",
	"Engineers are restoring service region by region.",
}

var rootCauses = []string{
	"a configuration change rolled out to all regions at once",
	"a database failover that did not complete",
	"an expired TLS certificate on an internal load balancer",
	"a capacity limit reached during a traffic spike",
	"a dependency upgrade with a memory leak",
}

var preventions = []string{
	"staged rollouts with an automated canary",
	"failover drills every month and an alert on stuck failovers",
	"automated certificate renewal with expiry alerts",
	"autoscaling limits raised and load tests before launches",
	"soak tests for dependency upgrades",
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func roundUp(t, step int64) int64 { return (t + step - 1) / step * step }

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
