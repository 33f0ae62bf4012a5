package assets_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/relay"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
)

// The relay's container image and Kubernetes manifests (deploy/) are read
// by no program here, so nothing else would notice them rot: a renamed
// probe path, a Secret key the configuration no longer names, a grace
// period shorter than a drain. This test reads them as Kubernetes would
// and checks them against the relay's own code.

const kubernetesDir = "deploy/kubernetes"

// manifest is the part of a Kubernetes object these checks read.
type manifest struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`       // ConfigMap
	StringData map[string]string `yaml:"stringData"` // Secret
	Spec       spec              `yaml:"spec"`
	Resources  []string          `yaml:"resources"` // Kustomization
	file       string
}

type spec struct {
	Replicas *int `yaml:"replicas"`
	Selector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	} `yaml:"selector"`
	Template struct {
		Metadata struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec podSpec `yaml:"spec"`
	} `yaml:"template"`
	// Service
	ServiceSelector map[string]string `yaml:"-"`
	Ports           []struct {
		Port       int    `yaml:"port"`
		TargetPort string `yaml:"targetPort"`
	} `yaml:"ports"`
	// PodDisruptionBudget
	MinAvailable *int `yaml:"minAvailable"`
	// HorizontalPodAutoscaler
	ScaleTargetRef struct {
		Kind string `yaml:"kind"`
		Name string `yaml:"name"`
	} `yaml:"scaleTargetRef"`
	MinReplicas int `yaml:"minReplicas"`
	MaxReplicas int `yaml:"maxReplicas"`
	Metrics     []struct {
		Type     string `yaml:"type"`
		Resource struct {
			Name   string `yaml:"name"`
			Target struct {
				Type               string `yaml:"type"`
				AverageUtilization int    `yaml:"averageUtilization"`
			} `yaml:"target"`
		} `yaml:"resource"`
	} `yaml:"metrics"`
}

type podSpec struct {
	TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
	SecurityContext               struct {
		RunAsNonRoot *bool `yaml:"runAsNonRoot"`
		RunAsUser    int   `yaml:"runAsUser"`
	} `yaml:"securityContext"`
	Containers []container `yaml:"containers"`
	Volumes    []struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
		Secret *struct {
			SecretName string `yaml:"secretName"`
		} `yaml:"secret"`
	} `yaml:"volumes"`
}

type container struct {
	Name  string `yaml:"name"`
	Image string `yaml:"image"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	ReadinessProbe  probe `yaml:"readinessProbe"`
	LivenessProbe   probe `yaml:"livenessProbe"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

// readManifests decodes every document of every YAML file.
func readManifests(t *testing.T) map[string]manifest {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(kubernetesDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s (%v)", kubernetesDir, err)
	}
	byKind := map[string]manifest{}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var m manifest
			err := dec.Decode(&m)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s does not parse: %v", file, err)
			}
			if m.Kind == "" || m.APIVersion == "" || (m.Kind != "Kustomization" && m.Metadata.Name == "") {
				t.Fatalf("%s: a document without apiVersion, kind or name", file)
			}
			if _, twice := byKind[m.Kind]; twice {
				t.Fatalf("%s: a second %s; the checks expect one of each", file, m.Kind)
			}
			m.file = filepath.Base(file)
			byKind[m.Kind] = m
		}
	}
	// The Service's selector shares its key with the workload's; decode it
	// apart.
	if svc, ok := byKind["Service"]; ok {
		var raw struct {
			Spec struct {
				Selector map[string]string `yaml:"selector"`
			} `yaml:"spec"`
		}
		b, _ := os.ReadFile(filepath.Join(kubernetesDir, svc.file))
		if err := yaml.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		svc.Spec.ServiceSelector = raw.Spec.Selector
		byKind["Service"] = svc
	}
	for _, kind := range []string{"Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Kustomization"} {
		if _, ok := byKind[kind]; !ok {
			t.Fatalf("%s has no %s", kubernetesDir, kind)
		}
	}
	return byKind
}

func TestKubernetesManifests(t *testing.T) {
	m := readManifests(t)
	deployment, secret, configMap := m["Deployment"], m["Secret"], m["ConfigMap"]
	pod := deployment.Spec.Template.Spec

	if r := deployment.Spec.Replicas; r == nil || *r != 3 {
		t.Errorf("the Deployment runs %s replicas, want 3", orUnset(r))
	}
	podLabels := deployment.Spec.Template.Metadata.Labels
	for _, sel := range []struct {
		what   string
		labels map[string]string
	}{
		{"the Deployment's selector", deployment.Spec.Selector.MatchLabels},
		{"the Service's selector", m["Service"].Spec.ServiceSelector},
		{"the PodDisruptionBudget's selector", m["PodDisruptionBudget"].Spec.Selector.MatchLabels},
	} {
		if !selects(sel.labels, podLabels) {
			t.Errorf("%s %v does not select the relay's pods %v", sel.what, sel.labels, podLabels)
		}
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("the pod has %d containers, want the relay alone", len(pod.Containers))
	}
	c := pod.Containers[0]

	// Probes: the relay's own paths, on the port it listens on.
	if got := c.ReadinessProbe.HTTPGet.Path; got != relayapi.PathReady {
		t.Errorf("readiness probe path %q, want %q: the drain on SIGTERM answers there", got, relayapi.PathReady)
	}
	if got := c.LivenessProbe.HTTPGet.Path; got != relayapi.PathHealth {
		t.Errorf("liveness probe path %q, want %q", got, relayapi.PathHealth)
	}
	portByName := map[string]int{}
	for _, p := range c.Ports {
		portByName[p.Name] = p.ContainerPort
	}
	for _, ref := range []string{c.ReadinessProbe.HTTPGet.Port, c.LivenessProbe.HTTPGet.Port, m["Service"].Spec.Ports[0].TargetPort} {
		if _, ok := portByName[ref]; !ok {
			t.Errorf("port %q is not a port of the container %v", ref, portByName)
		}
	}

	// Runs as nobody in particular, on a read-only root.
	if sc := pod.SecurityContext; sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == 0 {
		t.Error("the pod may run as root: want runAsNonRoot and a runAsUser other than 0")
	}
	if sc := c.SecurityContext; sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Error("the container wants readOnlyRootFilesystem, no privilege escalation, and every capability dropped")
	}
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("resources %+v: want CPU and memory requests and a memory limit", c.Resources)
	}
	limit := quantity(t, c.Resources.Limits["memory"])
	for _, e := range c.Env {
		if e.Name == "GOMEMLIMIT" && quantity(t, e.Value) >= limit {
			t.Errorf("GOMEMLIMIT %s is not below the memory limit %s: the pod would be killed before Go collects", e.Value, c.Resources.Limits["memory"])
		}
	}

	// The configuration: where the image reads it, and valid for the relay.
	mounts := map[string]string{} // volume name → mount path
	for _, vm := range c.VolumeMounts {
		if !vm.ReadOnly {
			t.Errorf("volume %s is mounted writable", vm.Name)
		}
		mounts[vm.Name] = vm.MountPath
	}
	var configDir, secretDir string
	for _, v := range pod.Volumes {
		switch {
		case v.ConfigMap != nil && v.ConfigMap.Name == configMap.Metadata.Name:
			configDir = mounts[v.Name]
		case v.Secret != nil && v.Secret.SecretName == secret.Metadata.Name:
			secretDir = mounts[v.Name]
		}
	}
	if configDir == "" || secretDir == "" {
		t.Fatalf("the pod does not mount both the ConfigMap %q and the Secret %q", configMap.Metadata.Name, secret.Metadata.Name)
	}
	if want := imageConfigPath(t); path.Join(configDir, "relay.toml") != want {
		t.Errorf("the ConfigMap is mounted at %s, but the image reads %s", configDir, want)
	}
	cfg := loadRelayConfig(t, configMap.Data["relay.toml"])
	if !strings.HasSuffix(cfg.Listen, ":"+strconv.Itoa(portByName["http"])) {
		t.Errorf("relay.toml listens on %s, the container's port is %d", cfg.Listen, portByName["http"])
	}
	if !strings.HasPrefix(cfg.PublicURL, "https://") {
		t.Errorf("public_url %q: kiosks refuse a relay off loopback that is not https", cfg.PublicURL)
	}
	// Every secret file the configuration names is a key of the Secret,
	// mounted where the configuration looks.
	secretFile, _ := cfg.TrustCentre["client_secret_file"].(string)
	for _, file := range []string{cfg.KiosksFile, secretFile, cfg.Sealing.KeysFile, cfg.Signing.KeysFile} {
		dir, key := path.Split(file)
		if path.Clean(dir) != secretDir {
			t.Errorf("relay.toml names %s, outside the Secret's mount %s", file, secretDir)
		}
		if _, ok := secret.StringData[key]; !ok {
			t.Errorf("relay.toml names %s, but the Secret has no key %q", file, key)
		}
	}
	for key, value := range secret.StringData {
		if key != "kiosks" && value != "REPLACE" {
			t.Errorf("the Secret template's %s holds a value; a template must not", key)
		}
	}
	// Long enough to drain and to finish the longest call: a token poll,
	// then its identity read (user info, and the ID token's keys).
	s := auth.DefaultSettings(auth.EnvProduction)
	longest := s.TokenTimeout + 2*s.HTTPTimeout
	if cfg.TrustCentre["token_timeout"] != nil || cfg.TrustCentre["http_timeout"] != nil {
		t.Error("relay.toml sets timeouts: recompute terminationGracePeriodSeconds and teach this test")
	}
	if grace := time.Duration(pod.TerminationGracePeriodSeconds) * time.Second; grace <= cfg.DrainTime.Duration+longest {
		t.Errorf("terminationGracePeriodSeconds %v is not above drain_time %v plus the longest call %v",
			grace, cfg.DrainTime.Duration, longest)
	}

	pdb := m["PodDisruptionBudget"]
	if n := pdb.Spec.MinAvailable; n == nil || *n != 2 {
		t.Errorf("the PodDisruptionBudget's minAvailable is %s, want 2 of the 3 replicas", orUnset(n))
	}
	hpa := m["HorizontalPodAutoscaler"]
	if hpa.Spec.ScaleTargetRef.Kind != "Deployment" || hpa.Spec.ScaleTargetRef.Name != deployment.Metadata.Name {
		t.Errorf("the autoscaler scales %s %s, not the relay's Deployment", hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name)
	}
	if hpa.Spec.MinReplicas != 3 || hpa.Spec.MaxReplicas <= hpa.Spec.MinReplicas {
		t.Errorf("the autoscaler ranges %d to %d replicas, want from 3 up", hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas)
	}
	if len(hpa.Spec.Metrics) != 1 || hpa.Spec.Metrics[0].Resource.Name != "cpu" || hpa.Spec.Metrics[0].Resource.Target.Type != "Utilization" ||
		hpa.Spec.Metrics[0].Resource.Target.AverageUtilization <= 0 {
		t.Errorf("the autoscaler's metrics %+v, want a CPU utilisation target", hpa.Spec.Metrics)
	}

	// kubectl apply -k applies everything but the Secret template, which
	// would overwrite the real keys with placeholders.
	want := []string{}
	for _, o := range m {
		if o.Kind != "Kustomization" && o.Kind != "Secret" {
			want = append(want, o.file)
		}
	}
	got := slices.Clone(m["Kustomization"].Resources)
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("kustomization.yaml lists %v, want %v", got, want)
	}
}

func orUnset(n *int) string {
	if n == nil {
		return "unset"
	}
	return strconv.Itoa(*n)
}

func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// loadRelayConfig reads relay.toml as the relay does.
func loadRelayConfig(t *testing.T, content string) relay.Config {
	t.Helper()
	if content == "" {
		t.Fatal("the ConfigMap has no relay.toml")
	}
	file := filepath.Join(t.TempDir(), "relay.toml")
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := relay.LoadConfig(file)
	if err != nil {
		t.Fatalf("the ConfigMap's relay.toml does not load: %v", err)
	}
	return cfg
}

// imageConfigPath is the configuration the Containerfile's entrypoint names.
func imageConfigPath(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("deploy/Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ENTRYPOINT \[.*"--config", "([^"]+)"\]`).FindSubmatch(b)
	if m == nil {
		t.Fatal(`the Containerfile has no ENTRYPOINT [... "--config", "PATH"]`)
	}
	return string(m[1])
}

// quantity reads a memory size as Kubernetes ("512Mi") or Go's GOMEMLIMIT
// ("400MiB") writes it.
func quantity(t *testing.T, s string) int64 {
	t.Helper()
	units := []struct {
		suffix string
		scale  int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				t.Fatalf("memory size %q: %v", s, err)
			}
			return v * u.scale
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("memory size %q is not one this test reads (Mi, Gi, MiB, GiB)", s)
	}
	return v
}
