resource "terraform_data" "n" {
  input = {
    big      = 1e21
    small    = 0.1
    large    = 123456789012
    neg      = -0.5
    exp      = 12345678
    "1abc"   = "key starts with a digit"
    "a.b"    = "dotted key"
    unicode  = "héllo wörld ✓ 🚀"
    nbsp     = "a\u00a0b"
    ctrl     = "bell\u0007 esc\u001b del\u007f"
    trailing = "ends with newline\n"
    leading  = "\n  starts with newline"
    crlf     = "a\r\nb"
    only_nl  = "\n"
    tpl      = "$${not_interp} %%{ not_directive }"
  }
}
