output "a" { value = [1, 2, 3] }
output "b" { value = ["x", "y"] }
output "c" { value = [1, 2, 3, 4, 5, 6, 7] }
output "d" { value = [{ k = 1 }, { k = 2 }] }
output "s" { value = "a\nb\nc" }
output "t" { value = "a\nb\nc\n" }
output "u" { value = "single" }
output "j" { value = "{\"a\":1,\"b\":[1,2]}" }
output "e" { value = [] }
output "gone" { value = "bye" }
output "same" { value = "unchanged" }
output "long_name_for_alignment" { value = 1 }
