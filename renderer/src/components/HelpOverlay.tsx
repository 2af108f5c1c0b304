/** Every keyboard shortcut and pointer gesture, in one list (the `?` key toggles it). */
export const SHORTCUTS: { keys: string; what: string }[] = [
  { keys: '?', what: 'Show or hide this help' },
  { keys: 'Esc', what: 'Close this help and the jobs drawer' },
  { keys: 'J', what: 'Jobs drawer (progress, cancel, resume, downloads)' },
  { keys: 'G', what: 'Go to the gene box' },
  { keys: 'Enter', what: 'Show the gene typed in the gene box' },
  { keys: 'L', what: 'Layer panel (visibility, order, opacity, colour map, range)' },
  { keys: 'S', what: 'Super-resolution panel' },
  { keys: 'D', what: 'Domains panel' },
  { keys: 'H or 0', what: 'Fit the section to the view' },
  { keys: 'Ctrl+Z', what: 'Undo the last domain rename, colour or merge' },
  { keys: 'Drag, wheel', what: 'Pan and zoom the slide (the minimap shows where you are)' },
  { keys: 'Hover, click', what: 'Inspect a spot or superpixel; a click pins the tip, another unpins it' },
];

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  return (
    <div className="help-overlay" role="dialog" aria-label="Keyboard shortcuts" onClick={onClose}>
      <div className="help-card" onClick={(e) => e.stopPropagation()}>
        <h2>Keyboard shortcuts</h2>
        <table>
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.keys}>
                <td>
                  <kbd>{s.keys}</kbd>
                </td>
                <td>{s.what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button onClick={onClose}>Close</button>
      </div>
    </div>
  );
}
