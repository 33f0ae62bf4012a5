// Package console lets the Windows build, a GUI program that opens no
// console window of its own, still print to the console it was started
// from: workshop-login check, --version and login --terminal.
package console
