# Workshop Login. The two commands that matter:
#   make run    the app on its embedded Trust Centre simulator
#   make test   vet, gofmt, the race-checked tests and the fuzz seed corpora
# Both install what they need on Debian (apt as root or through sudo).

GO      ?= go
# One build tag set everywhere, so every build and test shares one cache.
TAGS    := migrated_fynedo
GOFLAGS := -tags=$(TAGS)
BINARY  := workshop-login
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE    := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)

# Debian packages the build and tests need: gcc and the X11/OpenGL headers for
# Fyne's cgo build (and the race detector); Xvfb, zbarimg and xdotool for the
# real-window test, which reads the QR code from the screen's pixels;
# gnome-keyring and dbus for the tests against a real Secret Service.
APT_PACKAGES := gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
	libxinerama-dev libxi-dev libxxf86vm-dev xvfb xauth zbar-tools xdotool gnome-keyring dbus
# Only the tests need a browser: Chromium plays the kiosk's system browser in
# the repair portal hand-off test.
APT_TEST_PACKAGES := $(APT_PACKAGES) chromium
GO_MIN       := 1.26
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Fuzzing beyond the checked-in seeds: make fuzz FUZZTIME=2m
FUZZTIME ?= 30s
FUZZ_TARGETS := FuzzParseUserInfo FuzzDecodeQRSession FuzzDecodeTokenResponse

# Fyne cannot read the C locale's name; without a real one, say English.
export LANG ?= en_US.UTF-8
ifneq ($(filter C C.UTF-8 C.utf8 POSIX,$(LANG)),)
LANG := en_US.UTF-8
endif

.PHONY: run test build bench figures fuzz deps test-deps check-go

run: deps build
	./$(BINARY)

build: check-go
	$(GO) build $(GOFLAGS) -ldflags "$(LDFLAGS)" -o $(BINARY) .

test: test-deps
	$(GO) vet $(GOFLAGS) ./...
	@unformatted="$$(gofmt -l $$(find . -name '*.go' -not -path './.cache/*'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt would change these files (run gofmt -w):"; echo "$$unformatted"; exit 1; fi
	@# A session bus of its own with an unlocked keyring: the Secret Service
	@# the session store is tested against (the password only unlocks it).
	XDG_DATA_HOME="$$(mktemp -d)" dbus-run-session -- sh -c 'echo -n kiosk-test | \
		gnome-keyring-daemon --unlock --components=secrets >/dev/null && \
		WORKSHOP_LOGIN_KEYRING_TEST=1 WORKSHOP_LOGIN_WINDOW_TEST=1 WORKSHOP_LOGIN_BROWSER_TEST=1 \
		$(GO) test $(GOFLAGS) -race -count=1 ./...'

# Approval-to-identity against the simulator over loopback, 1 s poll interval.
bench: deps
	$(GO) test $(GOFLAGS) -run='^$$' -bench=. -benchtime=40x ./auth/

# The window's figures under Xvfb: start to a decodable QR code (median of 5
# warm starts), resident memory after 60 s of waiting, CPU share meanwhile.
figures: deps build
	WORKSHOP_LOGIN_WINDOW_TEST=1 WORKSHOP_LOGIN_BINARY=$(CURDIR)/$(BINARY) \
		$(GO) test $(GOFLAGS) -run='^$$' -bench=WindowFigures -benchtime=1x .

fuzz: deps
	@for target in $(FUZZ_TARGETS); do \
		$(GO) test $(GOFLAGS) -run='^$$' -fuzz="^$$target\$$" -fuzztime=$(FUZZTIME) ./auth/ || exit 1; \
	done

deps: check-go
	@$(call apt_install,$(APT_PACKAGES))

test-deps: check-go
	@$(call apt_install,$(APT_TEST_PACKAGES))

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
