package simulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server is a simulator listening on an address.
type Server struct {
	URL string // the issuer: http://host:port
	// UserInfoURL is the base (http://host:port, no path) of the host that
	// serves /user_info.json when Options.SeparateUserInfoHost is set; else
	// empty.
	UserInfoURL string
	*Simulator
	server   *http.Server
	userInfo *http.Server // with SeparateUserInfoHost
}

// Listen starts a simulator on addr (e.g. "127.0.0.1:0" for a free port).
// An empty Issuer becomes http://<the address>; on an unspecified address
// (0.0.0.0, ::) the issuer is the loopback address and, unless PublicURL is
// set, the QR codes point at this machine's first LAN address so a phone on
// the same network can open them.
func Listen(addr string, opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	tcp := ln.Addr().(*net.TCPAddr)
	if opts.Issuer == "" {
		host := tcp.IP.String()
		if tcp.IP.IsUnspecified() {
			host = "127.0.0.1"
		}
		opts.Issuer = "http://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port))
	}
	if opts.PublicURL == "" && tcp.IP.IsUnspecified() {
		if lan := firstLANAddress(); lan != "" {
			opts.PublicURL = "http://" + net.JoinHostPort(lan, fmt.Sprint(tcp.Port))
		}
	}
	sim, err := New(opts)
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv := &Server{URL: sim.issuer(), Simulator: sim,
		server: &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	var userInfoLn net.Listener
	if opts.SeparateUserInfoHost {
		userInfoLn, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("listening for user info: %w", err)
		}
		srv.UserInfoURL = "http://" + userInfoLn.Addr().String()
		sim.userInfoURL = srv.UserInfoURL
		srv.userInfo = &http.Server{Handler: sim.userInfoHandler(), ReadHeaderTimeout: 10 * time.Second}
		go srv.userInfo.Serve(userInfoLn)
	}
	go srv.server.Serve(ln)
	return srv, nil
}

// Close stops the server (and the user info host) at once.
func (s *Server) Close() error {
	err := shutdown(s.server)
	if s.userInfo != nil {
		err = errors.Join(err, shutdown(s.userInfo))
	}
	return err
}

func shutdown(srv *http.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return srv.Close()
	}
	return nil
}

func firstLANAddress() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if ipnet, ok := a.(*net.IPNet); ok && !ipnet.IP.IsLoopback() && ipnet.IP.To4() != nil {
			return ipnet.IP.String()
		}
	}
	return ""
}
