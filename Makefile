# Workshop Login. The two commands that matter:
#   make run    the app on its embedded Trust Centre simulator
#   make test   vet, gofmt, the race-checked tests and the fuzz seed corpora
# Both install what they need on Debian (apt as root or through sudo).

GO      ?= go
# One build tag set everywhere, so every build and test shares one cache
# (the project's rule: migrated_fynedo, nothing more).
TAGS    := migrated_fynedo
GOFLAGS := -tags=$(TAGS)
BINARY  := workshop-login
# Fyne with the kiosk's patches (ui/fynepatch: the idle loop, lazy fallback fonts, no depth buffer): every go
# command below runs in the workspace that replaces Fyne with the patched
# copy; check-go prepares it. A bare `go build` still works, with upstream's
# 60 Hz loop; `eval $$(make -s env)` gives a shell the same builds as make.
export GOWORK := $(CURDIR)/build/go.work
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE    := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
# The stamps live in platform/buildinfo, which answers --version before Fyne loads.
STAMP   := github.com/workshop-login/workshop-login/platform/buildinfo
LDFLAGS := -X $(STAMP).Version=$(VERSION) -X $(STAMP).Commit=$(COMMIT) -X $(STAMP).Date=$(DATE)

# Debian packages the build and tests need: gcc and the X11/OpenGL headers for
# Fyne's cgo build (and the race detector); Xvfb, zbarimg and xdotool for the
# real-window test, which reads the QR code from the screen's pixels;
# gnome-keyring and dbus for the tests against a real Secret Service.
APT_PACKAGES := gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
	libxinerama-dev libxi-dev libxxf86vm-dev xvfb xauth zbar-tools xdotool gnome-keyring dbus
# Only the tests need a browser: Chromium plays the kiosk's system browser in
# the repair portal hand-off test. nginx is the load balancer in front of
# three relay replicas in the relay's statelessness test; podman and runc
# build the relay's container image and run one of those replicas in it.
APT_TEST_PACKAGES := $(APT_PACKAGES) chromium nginx podman runc ca-certificates
GO_MIN       := 1.26
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Fuzzing beyond the checked-in seeds, each target in turn: make fuzz FUZZTIME=2m
# (package:target pairs; every parser of outside input has one).
FUZZTIME ?= 30s
FUZZ_TARGETS := auth:FuzzParseUserInfo auth:FuzzDecodeQRSession auth:FuzzDecodeTokenResponse \
	auth/weblogin:FuzzCallbackServer auth/simulator:FuzzSimulatorRequests ui/demo/portal:FuzzPortalRequests \
	platform/config:FuzzParseConfig platform/config:FuzzEnvironmentLayers \
	platform/sessionstore:FuzzDecodeSession platform/audit:FuzzReadLog \
	platform/handoff:FuzzHandoffPage ui:FuzzParseKeys

# Fyne cannot read the C locale's name; without a real one, say English.
export LANG ?= en_US.UTF-8
ifneq ($(filter C C.UTF-8 C.utf8 POSIX,$(LANG)),)
LANG := en_US.UTF-8
endif

.PHONY: env fonts run test build screenshots bench figures fuzz soak deps test-deps check-go dist dist-linux dist-windows dist-tools dist-check \
	wine-check wine-helpers relay-static relay-image bench-relay bench-relay-long bench-relay-memory bench-wake

# make run shows a kiosk of two manufacturers: the embedded simulator plays
# a client and an embedded relay for each (simulator.manufacturers).
# DEMO_MANUFACTURERS= (empty) runs the program as it is, on its own
# configuration or on one manufacturer.
DEMO_MANUFACTURERS ?= ["Demo manufacturer A", "Demo manufacturer B"]
run: deps build
	$(if $(DEMO_MANUFACTURERS),WORKSHOP_LOGIN_SIMULATOR_MANUFACTURERS='$(DEMO_MANUFACTURERS)') ./$(BINARY)

# The demo diagnostic tool goes beside the program, where the default run
# (embedded simulator and relay) finds it and offers it as a tool.
build: check-go
	$(GO) build $(GOFLAGS) -ldflags "$(LDFLAGS)" -o $(BINARY) .
	$(GO) build $(GOFLAGS) -o workshop-login-demo-tool ./ui/demo/tool/workshop-login-demo-tool

test: test-deps relay-image
	$(GO) vet $(GOFLAGS) ./...
	@unformatted="$$(gofmt -l $$(find . -name '*.go' -not -path './.cache/*'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt would change these files (run gofmt -w):"; echo "$$unformatted"; exit 1; fi
	@# A session bus of its own with an unlocked keyring: the Secret Service
	@# the session store is tested against (the password only unlocks it).
	XDG_DATA_HOME="$$(mktemp -d)" dbus-run-session -- sh -c 'echo -n kiosk-test | \
		gnome-keyring-daemon --unlock --components=secrets >/dev/null && \
		WORKSHOP_LOGIN_KEYRING_TEST=1 WORKSHOP_LOGIN_WINDOW_TEST=1 WORKSHOP_LOGIN_BROWSER_TEST=1 WORKSHOP_LOGIN_OIDC_PROVIDER_TEST=1 \
		WORKSHOP_LOGIN_NGINX_TEST=1 WORKSHOP_LOGIN_STATIC_RELAY=$(CURDIR)/$(RELAY_BINARY) \
		WORKSHOP_LOGIN_STATIC_RELAY_IMAGE=$(RELAY_IMAGE) CONTAINERS_CONF=$(PODMAN_CONF) \
		$(GO) test $(GOFLAGS) -race -count=1 ./...'

# The relay server alone, for the container image (assets/deploy): static,
# cgo-free, no GUI libraries; the same ldflags set its version.
RELAY_BINARY := workshop-login-relay
relay-static: check-go
	CGO_ENABLED=0 $(GO) build $(GOFLAGS) -trimpath -ldflags "-s -w $(LDFLAGS)" -o $(RELAY_BINARY) ./auth/relay/cmd/workshop-login-relay

# The relay's container image (assets/deploy/Containerfile): FROM scratch,
# the static binary and Debian's CA certificates, built with podman (no base
# image needs pulling). This machine's podman needs runc, cgroupfs and no
# default ulimits (containers.conf); make test runs a replica in it.
RELAY_IMAGE  ?= localhost/workshop-login-relay:$(VERSION)
PODMAN_CONF  := $(CURDIR)/build/podman/containers.conf
PODMAN       := CONTAINERS_CONF=$(PODMAN_CONF) podman --runtime runc --cgroup-manager=cgroupfs
relay-image: relay-static
	@$(call apt_install,podman runc ca-certificates)
	@mkdir -p build/podman build/relay-image
	@printf '[containers]\ndefault_ulimits = []\n' > $(PODMAN_CONF)
	cp $(RELAY_BINARY) /etc/ssl/certs/ca-certificates.crt build/relay-image/
	$(PODMAN) build -q -f assets/deploy/Containerfile -t $(RELAY_IMAGE) build/relay-image
	$(PODMAN) run --rm --network=host $(RELAY_IMAGE) --version

# The relay's figures (auth/relay/README.md, "Figures"), through the static relay to the
# simulator on loopback: 5,000 and then 10,000 kiosks waiting at once, each
# polling every 5 s for 60 s; then a 30 s burst at twice what one core
# serves, on top of 5,000 waiting kiosks, with sign-ins approved during it
# (about six minutes on two cores).
bench-relay: relay-static
	WORKSHOP_LOGIN_STATIC_RELAY=$(CURDIR)/$(RELAY_BINARY) \
		$(GO) test $(GOFLAGS) -v -run='^$$' -bench='RelayLoad|RelayBurst' -benchtime=1x -timeout=40m ./auth/relay/cmd/workshop-login-relay/

# Issue 21's fleet: 20,000 kiosks, 1% signing in, the rest at rest, beside
# the same 20,000 all polling a code (codes = "always"); about two minutes.
bench-relay-long: relay-static
	WORKSHOP_LOGIN_STATIC_RELAY=$(CURDIR)/$(RELAY_BINARY) \
		$(GO) test $(GOFLAGS) -v -run='^$$' -bench='RelayFleet' -benchtime=1x -timeout=30m ./auth/relay/cmd/workshop-login-relay/

# A replica at its memory bound: GOMEMLIMIT set so that the connections it
# lets in are just above 5,000 waiting kiosks; its peak RSS against the
# limit (about two minutes).
bench-relay-memory: relay-static
	WORKSHOP_LOGIN_STATIC_RELAY=$(CURDIR)/$(RELAY_BINARY) \
		$(GO) test $(GOFLAGS) -v -run='^$$' -bench='RelayAtItsMemoryBound' -benchtime=1x -timeout=20m ./auth/relay/cmd/workshop-login-relay/

# The default run in a real window under Xvfb, 20 times: a key at rest to a
# decodable code, and the approval to the signed-in screen (medians and
# worst; about three minutes).
bench-wake: test-deps
	WORKSHOP_LOGIN_WINDOW_TEST=1 WAKE_RUNS=20 $(GO) test $(GOFLAGS) -run='^$$' -bench='^BenchmarkWakeToSignedIn$$' -benchtime=1x -timeout=10m .

# Approval-to-identity against the simulator over loopback, 1 s poll interval.
bench: deps
	$(GO) test $(GOFLAGS) -run='^$$' -bench=. -benchtime=40x ./auth/

# The window beside a Chromium kiosk page that shows a QR code with a
# once-a-second countdown, on one Xvfb screen of kioskbench's own (see its
# README): start to a decodable QR code, memory (PSS, process tree) 10 s
# after the start, CPU over the next 20 s; FIGURES_RUNS alternating runs
# each, medians, and the three ratios. Then --version's latency. The app
# runs on its embedded simulator, with folders of its own, and with codes
# always on screen (start to a code is what is measured; the default, on
# demand, starts at rest: make bench-wake measures a touch to a code).
# kioskbench needs xwd (x11-apps), ImageMagick and python3 besides the
# test packages.
KIOSKBENCH   ?= $(CURDIR)/../shared/tools/kioskbench/bench.sh
FIGURES_RUNS ?= 5
APT_FIGURES_PACKAGES := $(APT_TEST_PACKAGES) x11-apps imagemagick python3
figures: deps build
	@$(call apt_install,$(APT_FIGURES_PACKAGES))
	@[ -x "$(KIOSKBENCH)" ] || { echo "kioskbench is missing: set KIOSKBENCH to its bench.sh"; exit 1; }
	@out=$$(mktemp -d) home=$$(mktemp -d); \
	env -u DISPLAY -u WAYLAND_DISPLAY OUT=$$out TICK=1 FYNE_BIN=$(CURDIR)/$(BINARY) EXPECT_PREFIX=http://127.0.0.1: \
		WORKSHOP_LOGIN_TRACE_STARTUP=1 WORKSHOP_LOGIN_KIOSK_CODES=always \
		HOME=$$home XDG_CONFIG_HOME=$$home/.config XDG_DATA_HOME=$$home/.local/share \
		XDG_STATE_HOME=$$home/.local/state XDG_CACHE_HOME=$$home/.cache \
		$(KIOSKBENCH) $(FIGURES_RUNS) || exit 1; \
	echo "workshop-login $(VERSION) against Chromium, medians of $(FIGURES_RUNS) (results in $$out):"; \
	awk '$$1 == "qr_ms" { printf "  start to a decodable QR code: %.1fx sooner (goal: at least 4x)\n", $$NF } \
		$$1 == "pss_MiB" { printf "  memory (PSS): 1/%.1f of Chromium'"'"'s (goal: at most 1/4)\n", $$NF } \
		$$1 == "cpu_pct" { printf "  CPU while waiting: %.2fx Chromium'"'"'s (goal: at most 1x)\n", 1 / $$NF }' $$out/summary.txt; \
	echo "the window's start-up steps, medians of the measured runs (WORKSHOP_LOGIN_TRACE_STARTUP):"; \
	awk '/^startup:/ { match($$0, /\(\+ *[0-9.]+ ms\)/); d = substr($$0, RSTART + 2, RLENGTH - 6) + 0; \
			name = substr($$0, RSTART + RLENGTH + 2); sub(/ +unix_us=.*/, "", name); \
			if (!(name in n)) order[++k] = name; v[name, ++n[name]] = d } \
		END { for (i = 1; i <= k; i++) { name = order[i]; m = n[name]; \
				for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (v[name, b] < v[name, a]) { t = v[name, a]; v[name, a] = v[name, b]; v[name, b] = t } \
				med[name] = (m % 2) ? v[name, (m + 1) / 2] : (v[name, m / 2] + v[name, m / 2 + 1]) / 2; \
				total += med[name]; if (name == "QR code painted") break } \
			for (j = 1; j <= i && j <= k; j++) printf "  %7.1f ms %3.0f%%  %s\n", med[order[j]], 100 * med[order[j]] / total, order[j] }' \
		$$out/logs/A-run*.log
	WORKSHOP_LOGIN_BINARY=$(CURDIR)/$(BINARY) $(GO) test $(GOFLAGS) -run='^$$' -bench='^BenchmarkVersion$$' -benchtime=50x .

# The README's three pictures, from the real window under Xvfb and from
# Chromium, by the same test that proves the whole story (make test runs it
# without pictures).
screenshots: test-deps
	@$(call apt_install,imagemagick)
	mkdir -p assets/screenshots
	WORKSHOP_LOGIN_WINDOW_TEST=1 WORKSHOP_LOGIN_BROWSER_TEST=1 WORKSHOP_LOGIN_SCREENSHOTS=$(CURDIR)/assets/screenshots \
		$(GO) test $(GOFLAGS) -count=1 -run='^(TestWholeStoryInARealWindow|TestTwoManufacturersInARealWindow)$$' .

# 720 simulated hours against the simulator with a fault every hour and a
# sign-in every three (make test runs 48): every accepted approval must end
# signed in. About a minute and a half on two cores; it prints approvals
# accepted and signed in, goroutines and heap at start and end.
SOAK_HOURS ?= 720
soak: check-go
	WORKSHOP_LOGIN_SOAK_HOURS=$(SOAK_HOURS) $(GO) test $(GOFLAGS) -count=1 -run='^TestSoak$$' -v -timeout=30m ./auth/

# The window's fonts (assets/fonts, committed): Fyne's own Noto Sans cut
# down to Latin, with Debian's fonttools.
fonts: check-go
	@$(call apt_install,fonttools)
	sh assets/fonts/subset.sh

fuzz: deps
	@for pair in $(FUZZ_TARGETS); do \
		pkg=$${pair%%:*}; target=$${pair#*:}; \
		echo "fuzz: $$target in ./$$pkg/ for $(FUZZTIME)"; \
		$(GO) test $(GOFLAGS) -run='^$$' -fuzz="^$$target\$$" -fuzztime=$(FUZZTIME) ./$$pkg/ || exit 1; \
	done

deps: check-go
	@$(call apt_install,$(APT_PACKAGES))

test-deps: check-go
	@$(call apt_install,$(APT_TEST_PACKAGES))
	@# Node.js runs the real OpenID provider the web login is tested against;
	@# a machine that has it from elsewhere (NodeSource) keeps its own.
	@command -v node >/dev/null && command -v npm >/dev/null || { $(call apt_install,nodejs npm); }
	npm ci --prefix auth/weblogin/testdata/oidc-provider --no-audit --no-fund --loglevel=error

# apt_install installs those of the packages not yet installed.
define apt_install
	missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if ! command -v apt-get >/dev/null; then \
			echo "Missing system packages:$$missing. This Makefile installs them on Debian or Ubuntu; elsewhere install their equivalents by hand."; exit 1; \
		fi; \
		echo "Installing:$$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

# An older Go fetches the toolchain go.mod names through the module proxy by itself.
check-go:
	@command -v $(GO) >/dev/null || { echo "Go $(GO_MIN) or newer is needed: https://go.dev/dl/ (Debian's golang package is too old)"; exit 1; }
	@GO=$(GO) sh ui/fynepatch/prepare.sh >/dev/null

# For a shell that builds and tests as make does: eval $$(make -s env)
env: check-go
	@echo "export GOWORK=$(GOWORK) GOFLAGS=$(GOFLAGS)"

# ---- Installers ----------------------------------------------------------
# make dist builds every installer this machine can build into dist/, with
# the version of the latest vX.Y.Z tag. macOS: assets/packaging/macos/build-dmg.sh
# on a Mac. Windows signing: set WINDOWS_SIGN_CERT and WINDOWS_SIGN_KEY (PEM).
DIST_VERSION  := $(shell git describe --tags --abbrev=0 --match 'v[0-9]*' 2>/dev/null | sed 's/^v//')
ifeq ($(DIST_VERSION),)
DIST_VERSION  := 0.0.0
endif
DIST_VERSION4 := $(shell echo $(DIST_VERSION) | sed 's/[-+].*//').0
DIST_LDFLAGS  := -s -w -X $(STAMP).Version=$(DIST_VERSION) -X $(STAMP).Commit=$(COMMIT) -X $(STAMP).Date=$(DATE)
GOBIN         := $(shell $(GO) env GOPATH 2>/dev/null)/bin
FYNE_CLI      := fyne.io/tools/cmd/fyne@v1.7.4
NFPM          := github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
GO_WINRES     := github.com/tc-hib/go-winres@v0.3.3
# Wine runs the Windows build in dist-check: 64-bit only (wine32 would need
# i386 multiarch, for a 32-bit program we do not ship); curl approves the
# simulator's code as a phone would; tmux is the terminal that shows what
# Wine's console shows.
APT_WINE_PACKAGES := wine wine64 curl tmux
# Debian packages for the installers: MinGW for Windows' cgo, NSIS for its
# installer, osslsigncode to sign; rpm, file and icoutils for dist-check.
APT_DIST_PACKAGES := $(APT_TEST_PACKAGES) gcc-mingw-w64-x86-64 nsis osslsigncode rpm file icoutils binutils bc openssl \
	librsvg2-bin $(APT_WINE_PACKAGES)

dist-tools: check-go
	@$(call apt_install,$(APT_DIST_PACKAGES))
	@for tool in $(FYNE_CLI) $(NFPM) $(GO_WINRES); do \
		name=$$(basename $${tool%@*}); \
		[ -x "$(GOBIN)/$$name" ] || GOFLAGS= GOWORK=off $(GO) install $$tool || exit 1; \
	done

dist: dist-linux dist-windows
	@ls -l dist/

dist-linux: dist-tools
	@echo "Linux installers, version $(DIST_VERSION)"
	mkdir -p build/linux dist
	$(GO) build $(GOFLAGS) -ldflags "$(DIST_LDFLAGS)" -o build/linux/$(BINARY) .
	@# fyne package rewrites FyneApp.toml (it bumps Build and drops comments):
	@# keep the committed file as it is.
	cp FyneApp.toml build/FyneApp.toml.kept
	$(GOBIN)/fyne package -os linux --exe build/linux/$(BINARY) --name "Workshop Login" \
		--app-id eu.workshoplogin.kiosk --app-version $(DIST_VERSION) --icon assets/icon/icon.png --release; \
		status=$$?; cp build/FyneApp.toml.kept FyneApp.toml; exit $$status
	mv "Workshop Login.tar.xz" dist/workshop-login-$(DIST_VERSION)-linux-amd64.tar.xz
	VERSION=$(DIST_VERSION) $(GOBIN)/nfpm package -f assets/packaging/nfpm.yaml -p deb -t dist/
	VERSION=$(DIST_VERSION) $(GOBIN)/nfpm package -f assets/packaging/nfpm.yaml -p rpm -t dist/
	VERSION=$(DIST_VERSION) $(GOBIN)/nfpm package -f assets/packaging/nfpm-autostart.yaml -p deb -t dist/

# The executable carries its icon and version resource (go-winres writes a
# .syso the Go linker picks up for windows/amd64 only, removed after).
dist-windows: dist-tools
	@echo "Windows installer, version $(DIST_VERSION)"
	mkdir -p build/windows dist
	@# One .ico with the sizes Windows shows, each drawn from the SVG.
	for size in 16 24 32 48 64 256; do \
		rsvg-convert -w $$size -h $$size assets/icon/icon.svg -o build/windows/icon-$$size.png || exit 1; done
	icotool -c -o build/windows/workshop-login.ico build/windows/icon-16.png build/windows/icon-24.png \
		build/windows/icon-32.png build/windows/icon-48.png build/windows/icon-64.png build/windows/icon-256.png
	$(GOBIN)/go-winres simply --arch amd64 --out rsrc --icon build/windows/workshop-login.ico --manifest gui \
		--product-name "Workshop Login" --product-version $(DIST_VERSION) --file-version $(DIST_VERSION4) \
		--file-description "Workshop Login: SERMI sign-in for workshop kiosks" \
		--copyright "Workshop Login" --original-filename workshop-login.exe
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc $(GO) build $(GOFLAGS) \
		-ldflags "$(DIST_LDFLAGS) -H windowsgui" -o build/windows/$(BINARY).exe . ; \
		status=$$?; rm -f rsrc_windows_*.syso; exit $$status
	$(call sign,build/windows/$(BINARY).exe)
	makensis -V2 "-XTarget amd64-unicode" -DVERSION=$(DIST_VERSION) -DVERSION4=$(DIST_VERSION4) -DEXE=$(CURDIR)/build/windows/$(BINARY).exe \
		-DICON=$(CURDIR)/build/windows/workshop-login.ico -DCONFIG=$(CURDIR)/assets/packaging/config.toml \
		-DOUTFILE=$(CURDIR)/dist/workshop-login-$(DIST_VERSION)-windows-amd64-setup.exe assets/packaging/windows/installer.nsi
	$(call sign,dist/workshop-login-$(DIST_VERSION)-windows-amd64-setup.exe)

# sign signs a Windows executable in place when a certificate is configured.
define sign
	@if [ -n "$(WINDOWS_SIGN_CERT)" ]; then \
		osslsigncode sign -certs "$(WINDOWS_SIGN_CERT)" -key "$(WINDOWS_SIGN_KEY)" -n "Workshop Login" \
			-i https://github.com/workshop-login/workshop-login -h sha256 -in $(1) -out $(1).signed >/dev/null && \
		mv $(1).signed $(1) && echo "signed $(1)"; \
	else echo "not signed: set WINDOWS_SIGN_CERT and WINDOWS_SIGN_KEY to sign $(1)"; fi
endef

# dist-check (CI runs it): signs with a throwaway self-signed certificate,
# builds everything, and proves the installers (assets/packaging/dist-check.sh).
dist-check: dist-tools
	@mkdir -p build/signing
	@[ -f build/signing/cert.pem ] || openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Workshop Login test signing" \
		-addext extendedKeyUsage=codeSigning -keyout build/signing/key.pem -out build/signing/cert.pem 2>/dev/null
	rm -rf dist
	$(MAKE) dist WINDOWS_SIGN_CERT=build/signing/cert.pem WINDOWS_SIGN_KEY=build/signing/key.pem
	$(MAKE) wine-helpers
	sh assets/packaging/dist-check.sh $(DIST_VERSION) build/signing/cert.pem

# wine-check: the Windows installer and program run under Wine, headless
# (assets/packaging/windows/wine-check.sh; dist-check runs it too). Alone
# for quick turns on the Windows build; make dist-linux first to see
# Linux's figures beside Windows'.
wine-check: dist-windows wine-helpers
	sh assets/packaging/windows/wine-check.sh $(DIST_VERSION)

# What the Wine test needs besides the installer, never shipped: the
# bcryptprimitives.dll that Go's runtime needs and Debian's Wine 8 lacks,
# and winprobe, which lists Credential Manager items and runs the program
# as cmd.exe runs a GUI program (assets/packaging/windows/wine).
wine-helpers: dist-tools
	mkdir -p build/wine
	x86_64-w64-mingw32-gcc -O2 -shared -s -o build/wine/bcryptprimitives.dll \
		assets/packaging/windows/wine/bcryptprimitives.c -lbcrypt
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) build $(GOFLAGS) -o build/wine/winprobe.exe ./assets/packaging/windows/wine/winprobe
