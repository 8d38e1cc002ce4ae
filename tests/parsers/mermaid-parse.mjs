// Parse Mermaid text from standard input with Mermaid's own parser (no browser
// needed to parse). Exit 0 and print the diagram type, or exit 1 with the error.
import mermaid from "mermaid";

let input = "";
for await (const chunk of process.stdin) input += chunk;
try {
  const result = await mermaid.parse(input);
  console.log(result.diagramType);
} catch (e) {
  console.error(String(e.message || e));
  process.exit(1);
}
