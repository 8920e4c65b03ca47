package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// catalogueAsk is one question of the catalogue steps: a paper, the
// question and the reference it must cite first.
type catalogueAsk struct {
	id, text string
	ref      int
}

// askOutcome is what asking a list of catalogue questions gave.
type askOutcome struct {
	lat          *latencies
	wrong, errs  int
	elapsed      time.Duration
	firstFailure string
	// spans are when each answered ask started and ended.
	spans []askSpan
}

type askSpan struct{ start, end time.Time }

// split returns the latencies of the asks that overlapped [from, to]
// and of those that started after it.
func (o askOutcome) split(from, to time.Time) (during, after *latencies) {
	during, after = &latencies{}, &latencies{}
	for _, sp := range o.spans {
		switch {
		case sp.start.Before(to) && sp.end.After(from):
			during.add(sp.end.Sub(sp.start))
		case !sp.start.Before(to):
			after.add(sp.end.Sub(sp.start))
		}
	}
	return during, after
}

func (o askOutcome) throughput() float64 {
	if o.elapsed <= 0 {
		return 0
	}
	return float64(len(o.lat.d)) / o.elapsed.Seconds()
}

func (o askOutcome) row() map[string]any {
	return map[string]any{
		"asks": len(o.lat.d), "errors": o.errs, "top_citation_not_the_asked_reference": o.wrong,
		"asks_per_s": o.throughput(), "p50_ms": ms(o.lat.pct(50)), "p90_ms": ms(o.lat.pct(90)), "p99_ms": ms(o.lat.pct(99)),
	}
}

// askCatalogue asks every question of list over REST, conc at a time,
// checking each answer's first citation.
func askCatalogue(ctx context.Context, base string, list []catalogueAsk, conc int) askOutcome {
	out := askOutcome{lat: &latencies{}}
	var mu sync.Mutex
	fail := func(msg string) {
		mu.Lock()
		out.errs++
		if out.firstFailure == "" {
			out.firstFailure = msg
		}
		mu.Unlock()
	}
	var wg sync.WaitGroup
	next := make(chan catalogueAsk)
	t0 := time.Now()
	for range conc {
		wg.Go(func() {
			for x := range next {
				body, _ := json.Marshal(map[string]string{"question": x.text, "lang": "en_US"})
				t1 := time.Now()
				req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/papers/"+x.id+"/ask", bytes.NewReader(body))
				if err != nil {
					fail(err.Error())
					continue
				}
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					fail(err.Error())
					continue
				}
				var ans struct {
					Citations []struct{ N int } `json:"citations"`
				}
				err = json.NewDecoder(resp.Body).Decode(&ans)
				resp.Body.Close()
				t2 := time.Now()
				out.lat.add(t2.Sub(t1))
				mu.Lock()
				out.spans = append(out.spans, askSpan{t1, t2})
				mu.Unlock()
				switch {
				case err != nil || resp.StatusCode != http.StatusOK:
					fail(fmt.Sprintf("%s: status %d, %v", x.id, resp.StatusCode, err))
				case len(ans.Citations) == 0 || ans.Citations[0].N != x.ref:
					mu.Lock()
					out.wrong++
					mu.Unlock()
				}
			}
		})
	}
	for _, x := range list {
		select {
		case next <- x:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	out.elapsed = time.Since(t0)
	return out
}

// questionsOn returns n questions, each on the paper pick returns.
func questionsOn(r *rand.Rand, n int, pick func() int) []catalogueAsk {
	qs := make([]catalogueAsk, n)
	for i := range qs {
		idx := pick()
		text, ref := synthQuestion(synthPaper(idx), r)
		qs[i] = catalogueAsk{synthID(idx), text, ref}
	}
	return qs
}

// beyondCache measures asks across a catalogue much larger than the
// cache (-cache-papers), against the same server's hot-cache run: asks
// on as many papers as the cache holds, all loaded. Readers pick papers
// uniformly and Zipf-distributed (s=1.1, papers in random order of
// popularity). With -search it then measures the first catalogue search
// (which builds the corpus index) while cold asks run, against the same
// cold asks on a fresh server without the search.
func (b *bench) beyondCache(ctx context.Context, dir string) error {
	n, c, conc := b.o.catalogue, b.o.cachePapers, b.o.concurrency
	env := []string{"CHATPAPER_CACHE_PAPERS=" + strconv.Itoa(c)}
	srv, err := b.startServe(ctx, dir, env...)
	if err != nil {
		return err
	}
	defer func() { srv.stop() }()
	r := rand.New(rand.NewPCG(7, uint64(n)))
	hot := min(c, n)
	// Before each hot run the hot set is asked, untimed, so the run asks
	// cached papers only: the uniform and Zipf runs of a round before it
	// evict most of them. Each is asked twice, so a paper that is fully
	// indexed only on its second ask is too.
	warm := make([]catalogueAsk, 0, 2*hot)
	for range 2 {
		for i := range hot {
			text, ref := synthQuestion(synthPaper(i), r)
			warm = append(warm, catalogueAsk{synthID(i), text, ref})
		}
	}
	hotQs := func() []catalogueAsk { return questionsOn(r, b.o.asks, func() int { return r.IntN(hot) }) }
	uniformQs := func() []catalogueAsk { return questionsOn(r, b.o.asks, func() int { return r.IntN(n) }) }
	first := [][]catalogueAsk{hotQs(), uniformQs()}
	perm := r.Perm(n)
	zipf := rand.NewZipf(r, 1.1, 1, uint64(n-1))
	zipfQs := func() []catalogueAsk { return questionsOn(r, b.o.asks, func() int { return perm[zipf.Uint64()] }) }
	first = append(first, zipfQs())
	rep := map[string]any{"papers": n, "cache_papers": c, "concurrency": conc}
	var failed error
	var rounds []map[string]float64
	for round := range max(1, b.o.rounds) {
		qs := first
		if round > 0 { // new questions: the same readers, later
			qs = [][]catalogueAsk{hotQs(), uniformQs(), zipfQs()}
		}
		runs := []struct {
			name string
			qs   []catalogueAsk
		}{{"hot", qs[0]}, {"uniform", qs[1]}, {"zipf", qs[2]}}
		var hotRun askOutcome
		var hotCPU time.Duration
		ratios := map[string]float64{}
		for _, run := range runs {
			if run.name == "hot" {
				b.logf("beyond: round %d: loading the %d hot papers", round+1, hot)
				askCatalogue(ctx, srv.base, warm, conc)
			}
			b.logf("beyond: round %d: %d %s asks", round+1, len(run.qs), run.name)
			st0, _ := statsOf(srv.pid)
			o := askCatalogue(ctx, srv.base, run.qs, conc)
			st, _ := statsOf(srv.pid)
			// The server's CPU per ask: unlike throughput, it does not move
			// with what else the machine runs meanwhile.
			cpu := (st.CPU - st0.CPU) / time.Duration(max(1, len(o.lat.d)))
			row := o.row()
			row["rss_mb"] = float64(st.RSS) / (1 << 20)
			row["server_cpu_ms_per_ask"] = ms(cpu)
			if run.name == "hot" {
				hotRun, hotCPU = o, cpu
				ratios["hot_asks_per_s"] = o.throughput()
			} else {
				row["throughput_ratio_to_hot"] = o.throughput() / hotRun.throughput()
				row["p50_ratio_to_hot"] = ratio(o.lat.pct(50), hotRun.lat.pct(50))
				row["p99_ratio_to_hot"] = ratio(o.lat.pct(99), hotRun.lat.pct(99))
				row["cpu_per_ask_ratio_to_hot"] = ratio(cpu, hotCPU)
				ratios[run.name] = o.throughput() / hotRun.throughput()
				ratios[run.name+"_extra_cpu_ms_per_ask"] = ms(cpu - hotCPU)
			}
			if round == 0 {
				rep[run.name] = row
			}
			b.printf("beyond-cache %d papers, cache %d, %d at a time, round %d: %-7s %6.0f asks/s (%.2f× hot)  p50 %7.2f ms  p99 %7.2f ms  server CPU %.2f ms/ask (%.2f× hot)  RSS %4.0f MiB  %d errors, %d wrong top citations",
				n, c, conc, round+1, run.name, o.throughput(), o.throughput()/hotRun.throughput(), ms(o.lat.pct(50)), ms(o.lat.pct(99)),
				ms(cpu), ratio(cpu, hotCPU), float64(st.RSS)/(1<<20), o.errs, o.wrong)
			if o.errs > 0 && failed == nil {
				failed = fmt.Errorf("%s asks: %d errors, first: %s", run.name, o.errs, o.firstFailure)
			}
		}
		rounds = append(rounds, ratios)
	}
	if len(rounds) > 1 {
		rep["rounds"] = rounds
		for _, name := range []string{"uniform", "zipf"} {
			var xs []float64
			for _, rd := range rounds {
				xs = append(xs, rd[name])
			}
			m := median(xs)
			rep[name+"_ratio_median"] = m
			b.printf("beyond-cache %d papers, cache %d: %s ÷ hot over %d rounds: median %.2f× (%.2f–%.2f×)", n, c, name, len(xs), m, slices.Min(xs), slices.Max(xs))
		}
	}
	if b.o.search {
		if err := b.searchDuringAsks(ctx, dir, env, r, rep, &srv); err != nil {
			return err
		}
	}
	b.report[fmt.Sprintf("beyond_cache_%d", n)] = rep
	return failed
}

// searchDuringAsks runs the same cold uniform asks twice, each on a
// fresh server (so nothing is loaded and the corpus index is not built):
// alone, then with the first catalogue search sent as they start.
func (b *bench) searchDuringAsks(ctx context.Context, dir string, env []string, r *rand.Rand, rep map[string]any, srv **target) error {
	n, conc := b.o.catalogue, b.o.concurrency
	qs := questionsOn(r, b.o.asks, func() int { return r.IntN(n) })
	query := strings.Join(strings.Fields(synthPaper(n / 2).Title)[:3], " ")
	var alone, with askOutcome
	var searchTook time.Duration
	var searchFrom, searchTo time.Time
	var searchErr error
	var found int
	for _, search := range []bool{false, true} {
		(*srv).stop()
		t, err := b.startServe(ctx, dir, env...)
		if err != nil {
			return err
		}
		*srv = t
		if !search {
			b.logf("beyond: %d cold asks, no search", len(qs))
			alone = askCatalogue(ctx, t.base, qs, conc)
			continue
		}
		b.logf("beyond: %d cold asks with the first catalogue search", len(qs))
		done := make(chan struct{})
		go func() {
			defer close(done)
			t0 := time.Now()
			searchFrom = t0
			resp, err := http.Get(t.base + "/api/v1/search?q=" + url.QueryEscape(query))
			if err != nil {
				searchErr = err
				return
			}
			defer resp.Body.Close()
			var res struct {
				Papers []struct{ ID string } `json:"papers"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != http.StatusOK {
				searchErr = fmt.Errorf("search: status %d, %v", resp.StatusCode, err)
				return
			}
			searchTo = time.Now()
			searchTook = searchTo.Sub(t0)
			for i, p := range res.Papers {
				if p.ID == synthID(n/2) {
					found = i + 1
				}
			}
		}()
		with = askCatalogue(ctx, t.base, qs, conc)
		<-done
	}
	if searchErr != nil {
		return searchErr
	}
	// The asks overlapping the search against those after it, on the
	// same server in the same run: a baseline that drifts less with the
	// machine's other load than the run without the search.
	during, after := with.split(searchFrom, searchTo)
	part := func(l *latencies) map[string]any {
		return map[string]any{"asks": len(l.d), "p50_ms": ms(l.pct(50)), "p99_ms": ms(l.pct(99))}
	}
	rep["search"] = map[string]any{
		"first_search_ms": ms(searchTook), "searched_paper_rank": found, "asks_elapsed_ms": ms(with.elapsed),
		"without_search": alone.row(), "with_search": with.row(),
		"p99_ratio": ratio(with.lat.pct(99), alone.lat.pct(99)), "p50_ratio": ratio(with.lat.pct(50), alone.lat.pct(50)),
		"during_search": part(during), "after_search": part(after),
	}
	b.printf("first catalogue search at %d papers: %.0f ms (the searched paper ranked %d) while %d cold asks ran for %.0f ms; asks p50 %.2f / p99 %.2f ms with it, %.2f / %.2f ms without (p99 %.2f×)",
		n, ms(searchTook), found, len(qs), ms(with.elapsed), ms(with.lat.pct(50)), ms(with.lat.pct(99)),
		ms(alone.lat.pct(50)), ms(alone.lat.pct(99)), ratio(with.lat.pct(99), alone.lat.pct(99)))
	b.printf("  asks overlapping the search: %d, p50 %.2f / p99 %.2f ms; asks after it: %d, p50 %.2f / p99 %.2f ms",
		len(during.d), ms(during.pct(50)), ms(during.pct(99)), len(after.d), ms(after.pct(50)), ms(after.pct(99)))
	if with.errs+alone.errs > 0 {
		return errors.New("cold asks failed around the search")
	}
	if searchTook < with.elapsed/10 {
		b.printf("  note: the search ended within the first tenth of the asks; raise -asks for a longer overlap")
	}
	return nil
}

// median is the middle of xs (the mean of the two middle ones when their
// number is even); xs is not modified.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
