// The admin page's files, imported as text (`with { type: "text" }`) and embedded in the binary.
declare module "*/app.js" {
  const text: string;
  export default text;
}
declare module "*.css" {
  const text: string;
  export default text;
}
