/** The colours of a categorical layer (domains, labels), one swatch per category. */
export function CategoryLegend({
  title,
  entries,
}: {
  title: string;
  entries: { name: string; color: string }[];
}) {
  return (
    <div className="category-legend" data-testid="category-legend">
      <div className="colorbar-label">{title}</div>
      <ul>
        {entries.map((e) => (
          <li key={e.name}>
            <span className="swatch" style={{ background: e.color }} /> {e.name}
          </li>
        ))}
      </ul>
    </div>
  );
}
