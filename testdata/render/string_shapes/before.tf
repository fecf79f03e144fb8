resource "terraform_data" "heredoc_replace" {
  triggers_replace = "line one\nline two\nline three\n"
  input            = "alpha\nbeta\ngamma"
}
resource "terraform_data" "json_to_text" {
  input = jsonencode({ a = 1 })
}
resource "terraform_data" "text_to_lines" {
  input = "one line"
}
resource "terraform_data" "odd_keys" {
  input = { "with space" = "x", "ünï" = 1, plain = true, "q\"uote" = "y", nested = [1, 2, 3, 4, 5, 6, 7], "1st" = null }
}
