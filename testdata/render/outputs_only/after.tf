output "a" { value = [1, 3, 4] }
output "b" { value = ["p", "q", "r"] }
output "c" { value = [1, 2, 3, 9, 5, 6, 7] }
output "d" { value = [{ k = 1 }, { k = 3 }] }
output "s" { value = "a\nX\nc" }
output "t" { value = "single line" }
output "u" { value = "multi\nline" }
output "j" { value = "{\"a\":2,\"b\":[1,2]}" }
output "e" { value = ["new"] }
output "n" { value = "now" }
output "same" { value = "unchanged" }
output "typechange" { value = 1 }
output "long_name_for_alignment" { value = 1 }
