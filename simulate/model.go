package simulate

import (
	"math"
	"math/rand/v2"
	"time"
)

// The parameters of the simulated company. docs/simulation.md explains
// them; change both together.

const (
	day   = 24 * 3600 // seconds
	month = 30 * day

	// signupsPerMonth is new customers per month as a share of the
	// initial customer base.
	signupsPerMonth = 0.05
	// baselineChurnPerMonth is the monthly churn hazard of a customer
	// (before the segment factor) that has nothing to do with outages.
	baselineChurnPerMonth = 0.012
	// activityPerMonth is the rate of unprompted customer events
	// (tickets and feedback) per active customer per month.
	activityPerMonth = 0.45
	// feedbackShare is the part of that activity that is feedback (the
	// rest are support tickets).
	feedbackShare = 0.35
	// surveyRate is the chance that an affected customer answers the
	// satisfaction survey sent after an incident.
	surveyRate = 0.25
	// weekendFactor thins incident arrivals on Saturdays and Sundays
	// (fewer deploys, less load).
	weekendFactor = 0.5
)

// segment is a customer segment with its plans and behaviour.
type segment struct {
	name        string
	share       float64 // of sign-ups
	churnFactor float64 // multiplies every churn hazard
	redeemRate  float64 // chance an offered compensation is redeemed
	plans       []plan
	followUp    []string // follow-up channels used for this segment
	compType    string   // compensation usually offered
}

type plan struct {
	name     string
	share    float64 // within the segment
	min, max float64 // MRR range (log-uniform)
}

var segments = []segment{
	{name: "smb", share: 0.65, churnFactor: 1.3, redeemRate: 0.6,
		plans:    []plan{{"starter", 0.6, 29, 149}, {"team", 0.4, 199, 699}},
		followUp: []string{"email", "chat"}, compType: "credit"},
	{name: "mid-market", share: 0.25, churnFactor: 1.0, redeemRate: 0.5,
		plans:    []plan{{"business", 1, 800, 4500}},
		followUp: []string{"email", "phone"}, compType: "discount"},
	{name: "enterprise", share: 0.10, churnFactor: 0.6, redeemRate: 0.4,
		plans:    []plan{{"enterprise", 1, 5000, 30000}},
		followUp: []string{"phone", "meeting"}, compType: "extension"},
}

// region is where customers run and outages happen.
type region struct {
	name  string
	share float64
}

var regions = []region{{"us-east", 0.45}, {"eu-west", 0.35}, {"ap-southeast", 0.20}}

// severityModel is how often incidents of one severity happen, how long
// they last, how many customers they hit and how much churn they cause.
type severityModel struct {
	name      string
	perWeek   float64 // arrival rate on weekdays
	durMedian float64 // minutes (log-normal)
	durSigma  float64
	durMin    float64 // minutes
	durMax    float64
	regions   int     // at most this many regions hit
	blastMin  float64 // share of active customers of the hit regions affected
	blastMax  float64
	churnRisk float64 // extra churn chance of an affected customer when every habit is missed
	care      float64 // added to the company's care for incidents of this severity
	csatDrop  float64 // how much the incident itself lowers the survey's mean csat, however it was handled
}

var severities = []severityModel{
	{name: "sev1", perWeek: 0.12, durMedian: 150, durSigma: 0.5, durMin: 45, durMax: 720, regions: 2,
		blastMin: 0.25, blastMax: 0.6, churnRisk: 0.065, care: 0.10, csatDrop: 0.6},
	{name: "sev2", perWeek: 0.45, durMedian: 120, durSigma: 0.6, durMin: 30, durMax: 720, regions: 1,
		blastMin: 0.06, blastMax: 0.25, churnRisk: 0.052, care: 0.05, csatDrop: 0.4},
	{name: "sev3", perWeek: 1.1, durMedian: 90, durSigma: 0.8, durMin: 15, durMax: 1440, regions: 1,
		blastMin: 0.01, blastMax: 0.08, churnRisk: 0.04, care: 0, csatDrop: 0.25},
	{name: "sev4", perWeek: 1.6, durMedian: 60, durSigma: 0.9, durMin: 10, durMax: 2880, regions: 1,
		blastMin: 0.002, blastMax: 0.02, churnRisk: 0.03, care: -0.05, csatDrop: 0.1},
}

func severityByName(name string) severityModel {
	for _, s := range severities {
		if s.name == name {
			return s
		}
	}
	return severities[len(severities)-1]
}

// habitOffset makes some habits easier than others for this company:
// acknowledging is routine, postmortems and follow-ups are often skipped.
var habitOffset = [habitCount]float64{
	habitSwift:          0.15,
	habitResponsibility: -0.05,
	habitProactive:      -0.05,
	habitApology:        0.10,
	habitCompensate:     0,
	habitLearn:          -0.10,
	habitFollowUp:       -0.10,
}

// careTrend is the company's average care over the history: it learns,
// going from careStart to careEnd; live incidents use careEnd.
const (
	careStart = 0.35
	careEnd   = 0.70
	careNoise = 0.25
	// careWeight ties the habits to care (and so to each other): the
	// chance of keeping a habit is 0.5 + careWeight×(care−0.5) + its offset.
	careWeight = 1.6
)

// Churn after an outage: an affected customer churns within the window
// with chance churnRisk(severity) × segment factor × behaviour × personal
// factors, where behaviour runs from behaviourBest (every applicable
// habit met) to behaviourBest+behaviourSpan (every habit missed).
const (
	behaviourBest   = 0.25
	behaviourSpan   = 1.75
	followedFactor  = 0.6  // the customer was contacted in time
	redeemedFactor  = 0.6  // the customer redeemed a compensation
	offeredFactor   = 0.85 // offered but not redeemed
	outageChurnDays = 28   // an outage churn lands 1…28 days after resolution
)

// Tickets and satisfaction (SPEC §2.6): the effects the dashboard's cost
// of silence and CSAT figures measure.
const (
	// ticketsPerCustomerHour is the rate at which each affected customer
	// opens tickets while the incident is updated: its silence (since
	// detection or the last update point) is within the cadence target.
	ticketsPerCustomerHour = 0.08
	// silentTicketFactor multiplies that rate while the silence is past
	// the target (the incident is overdue).
	silentTicketFactor = 3.0
	// ticketTaggedShare of those tickets name the incident; the others
	// carry no incident_id, as most real tickets, and SPEC §2.6
	// attributes them.
	ticketTaggedShare = 0.25
	// csatBaseline is the mean csat of ratings unrelated to incidents:
	// the mean of baselineCSAT.
	csatBaseline = 4.0
	// The survey after an incident has the mean csatBaseline − drop, where
	// drop = the severity's csatDrop + csatSlowAck if act swiftly was
	// missed + csatSilence if communicate proactively was missed (the
	// long silences) + csatNoApology + csatNoResponsibility if those were
	// missed. At most 0.6 + 1.4 = 2.0, below csatBaseline − the mean of
	// angryCSAT (2.24), so the mean is exact (see csatDraw).
	csatSlowAck          = 0.4
	csatSilence          = 0.5
	csatNoApology        = 0.3
	csatNoResponsibility = 0.2
	// surveyTaggedShare of the survey answers name the incident; the
	// others carry no incident_id and come within surveyMaxHours of the
	// resolution (inside SPEC §2.6's 24-hour attribution window).
	surveyTaggedShare = 0.3
	surveyMinHours    = 1
	surveyMaxHours    = 20
)

// baselineCSAT are the weights of csat 1…5 of a rating unrelated to an
// incident (mean 4.0: csatBaseline); angryCSAT those of a customer who
// holds the incident against the company (mean 1.76).
var (
	baselineCSAT = []float64{0.03, 0.06, 0.15, 0.40, 0.36}
	angryCSAT    = []float64{0.55, 0.25, 0.12, 0.05, 0.03}
)

var services = []string{"api", "dashboard", "auth", "billing", "webhooks", "search", "storage", "notifications"}

var titles = []string{
	"Elevated error rates on %s",
	"Degraded performance of %s",
	"%s unavailable for some customers",
	"Delayed processing in %s",
	"Intermittent timeouts on %s",
	"Partial outage of %s",
}

var outageReasons = []string{"reliability", "outage", "moved to a competitor after repeated outages", "lost trust in the service"}
var baselineReasons = []string{"budget", "no longer needed", "moved to a competitor", "company acquired", "missing features"}

var goodComments = []string{"Thanks for keeping us in the loop.", "Great communication during the outage.", "Appreciated the quick response and the credit.", "Clear updates, well handled."}
var badComments = []string{"We heard nothing for hours.", "Found out from our own customers before your status page.", "Nobody from your team contacted us.", "This keeps happening.", "Still waiting for an explanation."}
var plainComments = []string{"Works well for us.", "Support was helpful.", "Would like more integrations.", "Pricing is a bit high.", "Solid product."}

// ---- random helpers (every draw goes through a seeded *rand.Rand) ----

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

func minutes(m float64) int64 { return int64(m * 60) }

func hours(h float64) int64 { return int64(h * 3600) }

func days(d float64) int64 { return int64(d * day) }

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

func logUniform(r *rand.Rand, lo, hi float64) float64 {
	return math.Exp(uniform(r, math.Log(lo), math.Log(hi)))
}

func expSeconds(r *rand.Rand, perSecond float64) float64 { return r.ExpFloat64() / perSecond }

func cents(v float64) float64 { return math.Round(v*100) / 100 }

func weightedSegment(r *rand.Rand) segment {
	x := r.Float64()
	for _, s := range segments {
		if x < s.share {
			return s
		}
		x -= s.share
	}
	return segments[0]
}

func weightedRegion(r *rand.Rand) string {
	x := r.Float64()
	for _, g := range regions {
		if x < g.share {
			return g.name
		}
		x -= g.share
	}
	return regions[0].name
}

func weightedPlan(r *rand.Rand, s segment) plan {
	x := r.Float64()
	for _, p := range s.plans {
		if x < p.share {
			return p
		}
		x -= p.share
	}
	return s.plans[0]
}

// weekendThinning is the arrival factor of an incident at unix time t.
func weekendThinning(t int64) float64 {
	switch time.Unix(t, 0).UTC().Weekday() {
	case time.Saturday, time.Sunday:
		return weekendFactor
	}
	return 1
}
