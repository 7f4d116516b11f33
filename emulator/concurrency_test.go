package emulator

import (
	"sync"
	"testing"
)

// TestConcurrentUse runs grants, Graph, controls and rotation in parallel
// (meaningful under -race).
func TestConcurrentUse(t *testing.T) {
	env := newEnv(t, Config{})
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			user := DemoUser
			if i%2 == 1 {
				user = DemoUser2
			}
			for j := 0; j < 3; j++ {
				tok, err := env.e.IssueToken(TokenOptions{User: user, MFA: true})
				if err != nil {
					errs <- err.Error()
					return
				}
				r := env.post(t, DemoTenantID, oboForm(tok, "User.Read"))
				if r.status != 200 && r.status != 400 { // 400: key retired by a concurrent rotation
					errs <- r.str("error")
				}
				_ = env.e.SetRequireMFA(user, j%2 == 0)
				env.e.SetThrottle(Throttle{})
				_ = env.e.TokenRequests("", "")
			}
		}(i)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		env.e.RotateKeys(false)
		env.e.SetBaseURL(env.srv.URL)
	}()
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
