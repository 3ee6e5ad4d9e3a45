package verify_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/signet-ci/signet/internal/golden"
	"github.com/signet-ci/signet/verify"
)

// browserSlot lets one test run a browser at a time.
var browserSlot = make(chan struct{}, 1)

// Screenshot geometry: the viewport the browser test renders at.
const shotW, shotH = 1280, 1000

// browserPath finds Debian's headless Chromium. There is no skip: the test scripts install it
// (apt-get install -y chromium), and a run without it fails with the command to fix it.
func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium-headless-shell", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatalf("no Chromium on PATH: the HTML report is checked in a real browser; install it with apt-get install -y chromium (scripts/test.sh does)")
	return ""
}

// browserPage is what a headless Chromium saw loading a report from a file:// URL with every
// other request blocked.
type browserPage struct {
	screenshot []byte
	verdict    string
	graphNodes int
	filterShown,
	filteredRows, allRows int
	pdf      int
	load     time.Duration // navigation to the page's load event
	problems []string      // console errors and warnings, exceptions, log errors
	requests []string      // every request other than the page itself, each blocked
}

// loadInBrowser opens path in headless Chromium, offline: the Fetch domain pauses every request
// and fails all but the page's own; every request, console message and exception is recorded.
func loadInBrowser(t *testing.T, path string) *browserPage {
	t.Helper()
	bin := browserPath(t)
	browserSlot <- struct{}{} // one browser at a time: the machine is shared
	defer func() { <-browserSlot }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bctx, stop := startBrowser(t, ctx, bin)
	defer stop()

	pageURL := "file://" + path
	bp := &browserPage{}
	var mu sync.Mutex
	record := func(list *[]string, s string) {
		mu.Lock()
		defer mu.Unlock()
		*list = append(*list, s)
	}
	paused := make(chan *fetch.EventRequestPaused, 256)
	err := chromedp.Listen(bctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				record(&bp.problems, fmt.Sprintf("console.%s: %v", e.Type, argsText(e.Args)))
			}
		case *runtime.EventExceptionThrown:
			record(&bp.problems, "exception: "+e.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
				record(&bp.problems, fmt.Sprintf("log %s (%s): %s %s", e.Entry.Level, e.Entry.Source, e.Entry.Text, e.Entry.URL))
			}
		case *network.EventRequestWillBeSent:
			if e.Request.URL != pageURL {
				record(&bp.requests, e.Request.URL)
			}
		case *fetch.EventRequestPaused:
			select {
			case paused <- e:
			default:
				record(&bp.requests, "(more paused requests than the test holds) "+e.Request.URL)
			}
		}
	})
	if err != nil {
		t.Fatalf("listening to %s: %v", bin, err)
	}
	setup := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, cdplog.Enable, cdp.Empty{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, runtime.Enable, cdp.Empty{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}); err != nil {
			return err
		}
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case e := <-paused:
					if e.Request.URL == pageURL {
						_, _ = cdp.Call(ctx, tg, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID})
						continue
					}
					record(&bp.requests, e.Request.URL)
					_, _ = cdp.Call(ctx, tg, fetch.FailRequest, fetch.FailRequestParams{RequestID: e.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
				}
			}
		}()
		return nil
	})
	if err := chromedp.Do(bctx, setup, chromedp.EmulateViewport(shotW, shotH)); err != nil {
		t.Fatalf("setting up Chromium: %v", err)
	}
	start := time.Now()
	if err := chromedp.Do(bctx, chromedp.Navigate(pageURL), chromedp.WaitReady(chromedp.CSS(".banner"))); err != nil {
		t.Fatalf("loading %s in Chromium: %v", pageURL, err)
	}
	bp.load = time.Since(start)
	run := func(what string, f func() error) {
		if err := f(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	run("screenshot", func() (err error) { bp.screenshot, err = chromedp.Run(bctx, chromedp.CaptureScreenshot()); return err })
	run("verdict", func() (err error) {
		bp.verdict, err = chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector(".banner").textContent`))
		return err
	})
	run("graph", func() (err error) {
		bp.graphNodes, err = chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("svg.graph g.node").length`))
		return err
	})
	run("filter", func() (err error) {
		bp.filterShown, err = chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("p.filter:not([hidden])").length`))
		if err != nil {
			return err
		}
		bp.allRows, err = chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("table.packages tbody tr").length`))
		if err != nil {
			return err
		}
		bp.filteredRows, err = chromedp.Run(bctx, chromedp.Evaluate[int](`(function(){
			var i = document.querySelector("input[data-filter^='table-sbom']");
			if (!i) { return -1; }
			i.value = "npm"; i.dispatchEvent(new Event("input"));
			var n = document.querySelectorAll("table.packages tbody tr:not([hidden])").length;
			i.value = ""; i.dispatchEvent(new Event("input"));
			return n; })()`))
		return err
	})
	run("print", func() error {
		res, err := chromedp.Run(bctx, chromedp.Action[page.PrintToPDFResult](func(ctx context.Context, tg *chromedp.Target) (page.PrintToPDFResult, error) {
			return cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{})
		}))
		bp.pdf = len(res.Data)
		return err
	})
	time.Sleep(200 * time.Millisecond) // let late console events arrive
	mu.Lock()
	defer mu.Unlock()
	return bp
}

// startBrowser starts headless Chromium with the flags known to work here as root, offline. A
// start that fails (a fork refused on a loaded machine) is retried once, and logged.
func startBrowser(t *testing.T, ctx context.Context, bin string) (context.Context, context.CancelFunc) {
	t.Helper()
	var err error
	for attempt := 1; attempt <= 2; attempt++ {
		opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(shotW, shotH),
			chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("force-color-profile", "srgb"),
			chromedp.Flag("hide-scrollbars", true)}
		actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
		bctx, bcancel := chromedp.NewContext(actx)
		if err = chromedp.Do(bctx); err == nil {
			return bctx, func() { bcancel(); acancel() }
		}
		bcancel()
		acancel()
		t.Logf("starting %s (attempt %d): %v", bin, attempt, err)
		time.Sleep(2 * time.Second)
	}
	t.Fatalf("starting %s: %v", bin, err)
	return nil, nil
}

func argsText(args []*runtime.RemoteObject) string {
	var out []string
	for _, a := range args {
		out = append(out, string(a.Value)+a.Description)
	}
	return strings.Join(out, " ")
}

// TestHTMLInBrowser renders the GitHub report (provenance, SBOM, VSA) and a failing one, loads
// each in headless Chromium with the network blocked, and asserts that the page rendered: a
// screenshot of the viewport's size that is not blank, the verdict in the DOM, the graph drawn,
// the inline script allowed by the page's CSP (the filter works), a PDF printed, no console
// error or warning, and no request leaving the page. Under -update the GitHub screenshot is
// written to docs/img/verify-report.png for docs/verify.md.
func TestHTMLInBrowser(t *testing.T) {
	t.Parallel()
	f := local(t)
	for _, name := range []string{"github", "github-fail"} {
		t.Run(name, func(t *testing.T) {
			h := htmlCases[name].render(t)
			path := filepath.Join(t.TempDir(), "report.html")
			writeFile(t, path, h.normalize(f))
			bp := loadInBrowser(t, path)
			if len(bp.problems) > 0 {
				t.Errorf("console errors or warnings:\n%s", strings.Join(bp.problems, "\n"))
			}
			if len(bp.requests) > 0 {
				t.Errorf("the page tried to load %d resource(s): %v", len(bp.requests), bp.requests)
			}
			want := map[string]string{"github": "PASS: all 2 artifact(s) verified", "github-fail": "FAIL: 2 of 2 artifact(s) rejected"}[name]
			if !strings.Contains(bp.verdict, want) {
				t.Errorf("verdict in the DOM = %q, want %q", bp.verdict, want)
			}
			checkScreenshot(t, bp.screenshot)
			if bp.pdf == 0 {
				t.Error("printing to PDF produced nothing")
			}
			if name != "github" {
				return
			}
			if bp.graphNodes != 5 {
				t.Errorf("the graph has %d nodes, want 5 (commit, workflow, run, two artifacts)", bp.graphNodes)
			}
			if bp.filterShown != 2 || bp.allRows != 7 || bp.filteredRows != 2 {
				t.Errorf("filters shown %d (want 2), package rows %d (want 7), rows matching npm %d (want 2): the inline script did not run",
					bp.filterShown, bp.allRows, bp.filteredRows)
			}
			if golden.Updating() {
				writeFile(t, filepath.Join("..", "docs", "img", "verify-report.png"), bp.screenshot)
			}
		})
	}
}

// checkScreenshot asserts the PNG has the viewport's size and is not blank: many colours, and a
// good share of pixels that are not the background.
func checkScreenshot(t *testing.T, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if got := img.Bounds().Size(); got != (image.Point{shotW, shotH}) {
		t.Errorf("screenshot is %v, want %dx%d", got, shotW, shotH)
	}
	colours, ink := map[uint32]bool{}, 0
	bg := img.At(0, 0)
	br, bgG, bb, _ := bg.RGBA()
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y += 2 {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 2 {
			r, g, b2, _ := img.At(x, y).RGBA()
			colours[(r>>8)<<16|(g>>8)<<8|b2>>8] = true
			if r != br || g != bgG || b2 != bb {
				ink++
			}
		}
	}
	total := (shotW / 2) * (shotH / 2)
	if len(colours) < 50 || ink < total/50 {
		t.Errorf("the screenshot looks blank: %d colours, %d of %d sampled pixels differ from the background", len(colours), ink, total)
	}
	if testing.Verbose() {
		t.Logf("screenshot %d bytes, %d colours, %.1f%% ink", len(b), len(colours), 100*float64(ink)/float64(total))
	}
}

// TestBrowserHarnessCatchesLeaks proves the browser test can fail: a report edited to fetch an
// image, load an external script and carry a script and a style attribute its CSP does not
// allow must show blocked requests and console errors in what loadInBrowser records.
func TestBrowserHarnessCatchesLeaks(t *testing.T) {
	t.Parallel()
	f := local(t)
	h := htmlCases["gitlab"].render(t)
	tampered := strings.Replace(string(h.normalize(f)), "<main>",
		`<main><img src="https://example.invalid/pixel.png" alt=""><script src="http://127.0.0.1:9/x.js"></script>`+
			`<script>document.title = "ran"</script><p style="color:red">styled</p>`, 1)
	noCSP := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy"[^>]*>`).ReplaceAllString(tampered, "")
	for what, page := range map[string]string{"with its CSP": tampered, "without a CSP": noCSP} {
		path := filepath.Join(t.TempDir(), "tampered.html")
		writeFile(t, path, []byte(page))
		bp := loadInBrowser(t, path)
		if len(bp.requests) < 2 {
			t.Errorf("%s: the image and script fetches were not recorded: %v", what, bp.requests)
		}
		if what == "with its CSP" && len(bp.problems) < 3 {
			t.Errorf("%s: the refused image, scripts and style raised %d console errors, want 3 or more: %v", what, len(bp.problems), bp.problems)
		}
		if !strings.Contains(bp.verdict, "PASS") {
			t.Errorf("%s: verdict %q", what, bp.verdict)
		}
	}
}

// TestHTMLInBrowserAtScale loads the report of 10,000 artifacts (100 failing, an SBOM of 2,000
// packages) in headless Chromium: it must render its verdict with no console error and no
// request. The load time is logged (go test -v), not asserted; BenchmarkHTMLReport measures
// the rendering.
func TestHTMLInBrowserAtScale(t *testing.T) {
	t.Parallel()
	v, arts := scaleRelease(t, scaleArtifacts)
	rep, ev, err := v.VerifyWithEvidence(context.Background(), arts)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.html")
	var buf bytes.Buffer
	if err := verify.RenderHTML(&buf, rep, verify.HTMLOptions{Evidence: ev}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, buf.Bytes())
	bp := loadInBrowser(t, path)
	t.Logf("%d-byte page for %d artifacts loaded in %s (navigation to the load event); PDF %d bytes", buf.Len(), scaleArtifacts, bp.load.Round(time.Millisecond), bp.pdf)
	if len(bp.problems) > 0 || len(bp.requests) > 0 {
		t.Errorf("console problems %v, requests %v", bp.problems, bp.requests)
	}
	if want := fmt.Sprintf("FAIL: %d of %d artifact(s) rejected", scaleUnsigned, scaleArtifacts); !strings.Contains(bp.verdict, want) {
		t.Errorf("verdict %q, want %q", bp.verdict, want)
	}
	checkScreenshot(t, bp.screenshot)
	if bp.graphNodes != 4 || bp.allRows != scalePackages || bp.filteredRows != scalePackages/4 {
		t.Errorf("graph nodes %d (want 4), package rows %d (want %d), npm rows %d (want %d)", bp.graphNodes, bp.allRows, scalePackages, bp.filteredRows, scalePackages/4)
	}
}
