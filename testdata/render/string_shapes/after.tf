resource "terraform_data" "heredoc_replace" {
  triggers_replace = "line one\nline 2\nline three\nline four\n"
  input            = "alpha"
}
resource "terraform_data" "json_to_text" {
  input = "plain text"
}
resource "terraform_data" "text_to_lines" {
  input = "first\nsecond\n"
}
resource "terraform_data" "odd_keys" {
  input = { "with space" = "z", "ünï" = 1, plain = false, "q\"uote" = "y", nested = [1, 2, 3, 9, 5, 6, 7], "1st" = "set" }
}
