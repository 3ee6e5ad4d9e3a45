// Command htpasswd prints one htpasswd line, USER:BCRYPT(PASSWORD), for the distribution
// registry that scripts/tier3.sh starts (its htpasswd backend takes bcrypt only, and the
// machines running the tests need not have apache2-utils). The password is read from
// standard input so that it never shows in a process list.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: htpasswd USER < password")
		os.Exit(2)
	}
	pw, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && pw == "" {
		fmt.Fprintln(os.Stderr, "htpasswd: reading the password from standard input:", err)
		os.Exit(1)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(strings.TrimRight(pw, "\r\n")), bcrypt.DefaultCost)
	if err != nil {
		fmt.Fprintln(os.Stderr, "htpasswd:", err)
		os.Exit(1)
	}
	fmt.Printf("%s:%s\n", os.Args[1], h)
}
