export function App() {
  return (
    <main>
      <h1>medrec</h1>
    </main>
  );
}
